import { getConversation } from '@warren/conversations';
import { idSchema } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import { getTurn, listTurns } from '@warren/turns';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { conversationIdParams, page, pageQuery, toTurn, turnSchema } from '../schemas.ts';

/** The assistant's turns: what each answered, how it went, what it cost. Replies themselves are messages. */
export const turnRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  const tags = ['turns'];

  app.get(
    '/v1/conversations/:id/turns',
    {
      schema: {
        tags,
        summary: "A conversation's turns, newest first",
        params: conversationIdParams,
        querystring: pageQuery.extend({ before: idSchema('turn').optional().describe('Return turns older than this one.') }),
        response: { 200: page(turnSchema, z.string()) },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) => {
        const { limit, before } = request.query;
        const rows = await listTurns(tx, request.params.id, { before, limit: limit + 1 });
        if (rows.length === 0) await getConversation(tx, request.params.id); // 404 for a conversation that is not there
        const data = rows.slice(0, limit).map(toTurn);
        return { data, next: rows.length > limit ? data.at(-1)!.id : null };
      }),
  );

  app.get(
    '/v1/turns/:id',
    { schema: { tags, summary: 'One turn', params: z.strictObject({ id: idSchema('turn') }), response: { 200: turnSchema } } },
    (request) => withTenant(pool, request.tenantId, async (tx) => toTurn(await getTurn(tx, request.params.id))),
  );
};
