import { getConversation } from '@warren/conversations';
import { AppError } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import { eventTypes, liveEventTypes, type Position, positionOf } from '@warren/events';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventStreams } from '../event-stream.ts';
import { stillAuthorized } from '../plugins/auth.ts';
import { conversationIdParams } from '../schemas.ts';

const streamHeaders = z.looseObject({
  'last-event-id': z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'must be an event id from this stream')
    .optional()
    .describe('Resume after this event: every later event arrives once, also from another API process.'),
});

const description = `text/event-stream. Each event: \`id\` (its durable id; send it back as Last-Event-ID to resume), \`event\` (one of ${eventTypes.join(', ')}), \`data\` (JSON: id, type, conversationId, createdAt, data). Live only, without an \`id\` and never replayed on resume: \`event\` ${liveEventTypes.join(', ')}, \`data\` (JSON: type, conversationId, data: turnId, attempt, index, text), the raw model text of a running turn as it is written (in order of index per turn attempt, gaps possible; the turn's message.created is the stored reply). Comment lines are heartbeats. A client that reads too slowly is cut off and may resume.`;

/** Live events: of one conversation, or of the whole tenant. */
export const eventRoutes: FastifyPluginAsyncZod<{ pool: Pool; streams: EventStreams }> = async (app, { pool, streams }) => {
  const tags = ['events'];
  const resumePoint = (tenantId: string, lastEventId: string | undefined): Promise<Position | null> => {
    if (lastEventId === undefined) return Promise.resolve(null);
    return withTenant(pool, tenantId, async (tx) => {
      const position = await positionOf(tx, Number(lastEventId));
      if (!position) throw new AppError('validation', 'Last-Event-ID names no event of this tenant');
      return position;
    });
  };

  app.get(
    '/v1/events',
    { schema: { tags, summary: "Stream the tenant's events (SSE)", description, headers: streamHeaders, response: { 200: z.string() } } },
    async (request, reply) => {
      const after = await resumePoint(request.tenantId, request.headers['last-event-id']);
      await streams.serve(request, reply, { after }, () => stillAuthorized(app, request));
      return reply;
    },
  );

  app.get(
    '/v1/conversations/:id/events',
    {
      schema: {
        tags,
        summary: "Stream a conversation's events (SSE)",
        description,
        params: conversationIdParams,
        headers: streamHeaders,
        response: { 200: z.string() },
      },
    },
    async (request, reply) => {
      await withTenant(pool, request.tenantId, (tx) => getConversation(tx, request.params.id)); // 404 for another tenant's
      const after = await resumePoint(request.tenantId, request.headers['last-event-id']);
      await streams.serve(request, reply, { after, conversationId: request.params.id }, () => stillAuthorized(app, request));
      return reply;
    },
  );
};
