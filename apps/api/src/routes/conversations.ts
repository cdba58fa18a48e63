import {
  createConversationWithinQuota,
  deleteConversation,
  findConversationByExternalId,
  getConversation,
  listConversations,
  updateConversation,
} from '@warren/conversations';
import { type Pool, withTenant } from '@warren/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendIdempotent } from '../idempotency.ts';
import {
  conversationColumns,
  conversationIdParams,
  conversationSchema,
  createConversationBody,
  idempotencyHeaders,
  listConversationsQuery,
  page,
  toConversation,
  updateConversationBody,
} from '../schemas.ts';

export const conversationRoutes: FastifyPluginAsyncZod<{ pool: Pool; defaultMaxConversations: number }> = async (
  app,
  { pool, defaultMaxConversations },
) => {
  const tags = ['conversations'];

  app.post(
    '/v1/conversations',
    {
      schema: {
        tags,
        summary: 'Create a conversation',
        description: `A tenant holds at most its quota of conversations (maxConversations, by default ${defaultMaxConversations}); beyond it, 409 conversation-quota-exceeded.`,
        headers: idempotencyHeaders,
        body: createConversationBody,
        response: { 201: conversationSchema },
      },
    },
    (request, reply) =>
      sendIdempotent(
        reply,
        pool,
        { tenantId: request.tenantId, key: request.headers['idempotency-key'], scope: 'conversations.create', input: request.body },
        async (tx) => {
          const max = request.tenantMaxConversations ?? defaultMaxConversations;
          return { status: 201, body: toConversation(await createConversationWithinQuota(tx, conversationColumns(request.body), max)) };
        },
      ),
  );

  app.get(
    '/v1/conversations',
    {
      schema: {
        tags,
        summary: 'List conversations, oldest first, or find one by externalId',
        querystring: listConversationsQuery,
        response: { 200: page(conversationSchema, z.string()) },
      },
    },
    async (request) => {
      const { limit, after, externalId, titleContains } = request.query;
      return withTenant(pool, request.tenantId, async (tx) => {
        if (externalId !== undefined) {
          const found = await findConversationByExternalId(tx, externalId);
          return { data: found ? [toConversation(found)] : [], next: null };
        }
        const rows = await listConversations(tx, { after, limit: limit + 1, titleContains });
        const data = rows.slice(0, limit).map(toConversation);
        return { data, next: rows.length > limit ? data.at(-1)!.id : null };
      });
    },
  );

  app.get(
    '/v1/conversations/:id',
    { schema: { tags, summary: 'Get a conversation', params: conversationIdParams, response: { 200: conversationSchema } } },
    (request) => withTenant(pool, request.tenantId, async (tx) => toConversation(await getConversation(tx, request.params.id))),
  );

  app.patch(
    '/v1/conversations/:id',
    {
      schema: {
        tags,
        summary: 'Change a conversation (title, externalId, assistant name, trigger, metadata)',
        params: conversationIdParams,
        body: updateConversationBody,
        response: { 200: conversationSchema },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) =>
        toConversation(await updateConversation(tx, request.params.id, conversationColumns(request.body))),
      ),
  );

  app.delete(
    '/v1/conversations/:id',
    {
      schema: {
        tags,
        summary: 'Delete a conversation',
        description:
          'Removes the conversation and everything it owns: messages, turns, model history, archives, tasks and its workspace (the durable copy at once, the files on worker hosts within WORKSPACE_SWEEP_SECONDS). Not undoable.',
        params: conversationIdParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await withTenant(pool, request.tenantId, (tx) => deleteConversation(tx, request.params.id));
      return reply.code(204).send(null);
    },
  );
};
