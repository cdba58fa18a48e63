import { notFound } from '@warren/core';
import { controlDb, type Pool } from '@warren/db';
import { createApiKeyWithinQuota, listApiKeys, revokeApiKey } from '@warren/tenancy';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiKeyIdParams, apiKeySchema, createApiKeyBody, newApiKeySchema, toApiKey } from '../schemas.ts';

/** A tenant's own API keys: several may be live at once, each revocable. */
export const apiKeyRoutes: FastifyPluginAsyncZod<{ pool: Pool; defaultMaxApiKeys: number }> = async (app, { pool, defaultMaxApiKeys }) => {
  const db = controlDb(pool);
  const tags = ['api keys'];

  app.get(
    '/v1/api-keys',
    { schema: { tags, summary: "List this tenant's API keys", response: { 200: z.object({ data: z.array(apiKeySchema) }) } } },
    async (request) => ({ data: (await listApiKeys(db, request.tenantId)).map(toApiKey) }),
  );

  app.post(
    '/v1/api-keys',
    {
      schema: {
        tags,
        summary: 'Create an API key (shown once)',
        description: `A tenant holds at most its quota of unrevoked keys (maxApiKeys, by default ${defaultMaxApiKeys}); beyond it, 409 api-key-quota-exceeded.`,
        body: createApiKeyBody,
        response: { 201: newApiKeySchema },
      },
    },
    async (request, reply) => {
      const key = await createApiKeyWithinQuota(db, request.tenantId, request.body.name, defaultMaxApiKeys);
      return reply.code(201).send({ ...toApiKey(key), key: key.key });
    },
  );

  app.delete(
    '/v1/api-keys/:id',
    { schema: { tags, summary: 'Revoke an API key', params: apiKeyIdParams, response: { 204: z.null() } } },
    async (request, reply) => {
      if (!(await revokeApiKey(db, request.tenantId, request.params.id))) throw notFound('API key');
      app.apiKeyCache.clear(); // other processes hear of it through NOTIFY
      return reply.code(204).send(null);
    },
  );
};
