import { getConversation, listMessages } from '@warren/conversations';
import { type Pool, withTenant } from '@warren/db';
import type { TurnQueue } from '@warren/queue';
import { ingestMessage } from '@warren/turns';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendIdempotent } from '../idempotency.ts';
import {
  conversationIdParams,
  createMessageBody,
  idempotencyHeaders,
  listMessagesQuery,
  messageSchema,
  page,
  toMessage,
} from '../schemas.ts';

export const messageRoutes: FastifyPluginAsyncZod<{ pool: Pool; turnQueue: TurnQueue }> = async (app, { pool, turnQueue }) => {
  const tags = ['messages'];

  app.post(
    '/v1/conversations/:id/messages',
    {
      schema: {
        tags,
        summary: 'Post a message to a conversation',
        description:
          'A 201 answer means the message is committed and, if it triggers the assistant, so is its turn. Send Idempotency-Key to retry safely.',
        params: conversationIdParams,
        headers: idempotencyHeaders,
        body: createMessageBody,
        response: { 201: messageSchema },
      },
    },
    (request, reply) =>
      sendIdempotent(
        reply,
        pool,
        {
          tenantId: request.tenantId,
          key: request.headers['idempotency-key'],
          scope: 'messages.create',
          input: [request.params.id, request.body],
        },
        async (tx) => ({
          status: 201,
          body: toMessage((await ingestMessage(tx, turnQueue, request.params.id, request.body)).message),
        }),
      ),
  );

  app.get(
    '/v1/conversations/:id/messages',
    {
      schema: {
        tags,
        summary: 'Read messages after a seq, oldest first',
        params: conversationIdParams,
        querystring: listMessagesQuery,
        response: { 200: page(messageSchema, z.number().int()) },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) => {
        const { after, limit } = request.query;
        const rows = await listMessages(tx, request.params.id, { after, limit: limit + 1 });
        // An empty page must still tell "no such conversation" apart from "nothing new".
        if (rows.length === 0) await getConversation(tx, request.params.id);
        const data = rows.slice(0, limit).map(toMessage);
        return { data, next: rows.length > limit ? data.at(-1)!.seq : null };
      }),
  );
};
