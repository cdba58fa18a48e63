import { getConversation } from '@warren/conversations';
import { idSchema } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import { getTurn, listTurns, type Turn } from '@warren/turns';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { conversationIdParams, page, pageQuery } from '../schemas.ts';

const turnSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  kind: z.enum(['message', 'task']),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']).describe('queued also means: failed before output, waiting for a retry'),
  covered: z
    .object({ afterSeq: z.number().int(), throughSeq: z.number().int() })
    .describe('The messages this turn answers: seq in (afterSeq, throughSeq].'),
  attempt: z.number().int(),
  outputSent: z.boolean(),
  error: z.object({ message: z.string() }).loose().nullable(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }).nullable(),
  assistantVersionId: z.string().nullable().describe("The assistant version the turn ran with; null: the worker's defaults."),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
});

const toTurn = (t: Turn): z.infer<typeof turnSchema> => ({
  id: t.id,
  conversationId: t.conversationId,
  kind: t.kind,
  status: t.status,
  covered: { afterSeq: t.fromSeq, throughSeq: t.toSeq },
  attempt: t.attempt,
  outputSent: t.outputSent,
  error: t.error ?? null,
  usage: t.usage ?? null,
  assistantVersionId: t.assistantVersionId,
  createdAt: t.createdAt.toISOString(),
  startedAt: t.startedAt?.toISOString() ?? null,
  finishedAt: t.finishedAt?.toISOString() ?? null,
});

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
