import { AppError, notFound, text } from '@warren/core';
import { sealForProxy } from '@warren/credentials';
import { controlDb, type Pool } from '@warren/db';
import { deleteCredential, listCredentials, type StoredCredential, storeCredential } from '@warren/tenancy';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const credentialSchema = z.object({
  provider: z.enum(['anthropic']),
  hint: z.string().describe('The last four characters of the stored key.'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const toCredential = (c: StoredCredential): z.infer<typeof credentialSchema> => ({
  provider: c.provider,
  hint: c.hint,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

const providerParams = z.strictObject({ provider: z.enum(['anthropic']) });

/**
 * A tenant's own provider key. It is sealed to the credential proxy's public key before it is
 * stored, so neither this API nor the database can read it back; no endpoint returns it.
 */
export const credentialRoutes: FastifyPluginAsyncZod<{ pool: Pool; proxyPublicKey: string | undefined }> = async (
  app,
  { pool, proxyPublicKey },
) => {
  const db = controlDb(pool);
  const tags = ['credentials'];

  app.get(
    '/v1/credentials',
    {
      schema: {
        tags,
        summary: 'Which provider keys this tenant has stored (never the keys)',
        response: { 200: z.object({ data: z.array(credentialSchema) }) },
      },
    },
    async (request) => ({ data: (await listCredentials(db, request.tenantId)).map(toCredential) }),
  );

  app.put(
    '/v1/credentials/:provider',
    {
      schema: {
        tags,
        summary: "Store the tenant's own provider key; model calls then bill to it",
        params: providerParams,
        body: z.strictObject({
          apiKey: text()
            .trim()
            .min(20)
            .max(500)
            .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII'),
        }),
        response: { 200: credentialSchema },
      },
    },
    async (request) => {
      if (!proxyPublicKey) throw new AppError('unavailable', 'credential storage is not configured (PROXY_PUBLIC_KEY)');
      const { apiKey } = request.body;
      const sealed = await sealForProxy(proxyPublicKey, apiKey);
      return toCredential(await storeCredential(db, request.tenantId, request.params.provider, sealed, apiKey.slice(-4)));
    },
  );

  app.delete(
    '/v1/credentials/:provider',
    {
      schema: {
        tags,
        summary: 'Remove the stored key; the platform key is used again',
        params: providerParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      if (!(await deleteCredential(db, request.tenantId, request.params.provider))) throw notFound('credential');
      return reply.code(204).send(null);
    },
  );
};
