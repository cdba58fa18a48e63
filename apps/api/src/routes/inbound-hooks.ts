import { AppError, idSchema, text } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import {
  createHook,
  deleteHook,
  getHook,
  hookMappingSchema,
  hookSchemes,
  type InboundHook,
  listHooks,
  updateHook,
} from '@warren/inbound-hooks';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { page, pageQuery } from '../schemas.ts';

const hookSchema = z.object({
  id: z.string(),
  name: z.string(),
  scheme: z.enum(hookSchemes),
  path: z.string().describe('Where the sender posts, on this API: POST /hooks/{id}.'),
  ...hookMappingSchema.shape,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const toHook = (h: InboundHook): z.infer<typeof hookSchema> => ({
  id: h.id,
  name: h.name,
  scheme: h.scheme,
  path: `/hooks/${h.id}`,
  ...h.mapping,
  createdAt: h.createdAt.toISOString(),
  updatedAt: h.updatedAt.toISOString(),
});

const name = text().trim().min(1).max(200);

const createHookBody = z.strictObject({
  name,
  scheme: z
    .enum(hookSchemes)
    .default('standard-webhooks')
    .describe('standard-webhooks: webhook-id/-timestamp/-signature headers; github: X-Hub-Signature-256 and X-GitHub-Delivery.'),
  ...hookMappingSchema.shape,
});

const updateHookBody = z
  .strictObject({ name: name.optional(), ...hookMappingSchema.partial().shape })
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');

const hookIdParams = z.strictObject({ id: idSchema('inboundHook') });

/** A tenant's inbound hooks: signed webhooks from elsewhere become messages (see hook-deliveries.ts). */
export const inboundHookRoutes: FastifyPluginAsyncZod<{
  pool: Pool;
  sealingKey: string | undefined;
  defaultMaxInboundHooks: number;
}> = async (app, { pool, sealingKey, defaultMaxInboundHooks }) => {
  const tags = ['inbound hooks'];

  app.post(
    '/v1/inbound-hooks',
    {
      schema: {
        tags,
        summary: 'Create an inbound hook (its secret is shown once)',
        description: `A tenant holds at most its quota of hooks (maxInboundHooks, by default ${defaultMaxInboundHooks}); beyond it, 409 inbound-hook-quota-exceeded.`,
        body: createHookBody,
        response: { 201: hookSchema.extend({ secret: z.string().describe('The signing secret. Shown once: store it now.') }) },
      },
    },
    async (request, reply) => {
      if (!sealingKey) throw new AppError('unavailable', 'inbound hooks are not configured (HOOK_SECRET_KEY)');
      const { name, scheme, ...mapping } = request.body;
      const { hook, secret } = await withTenant(pool, request.tenantId, (tx) =>
        createHook(tx, { name, scheme, mapping }, { sealingKey, defaultMax: defaultMaxInboundHooks }),
      );
      return reply.code(201).send({ ...toHook(hook), secret });
    },
  );

  app.get(
    '/v1/inbound-hooks',
    {
      schema: {
        tags,
        summary: 'List inbound hooks, oldest first',
        querystring: pageQuery.extend({ after: idSchema('inboundHook').optional().describe('Return hooks created after this one.') }),
        response: { 200: page(hookSchema, z.string()) },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) => {
        const { after, limit } = request.query;
        const rows = await listHooks(tx, { after, limit: limit + 1 });
        const data = rows.slice(0, limit).map(toHook);
        return { data, next: rows.length > limit ? data.at(-1)!.id : null };
      }),
  );

  app.get(
    '/v1/inbound-hooks/:id',
    { schema: { tags, summary: 'Get an inbound hook (never its secret)', params: hookIdParams, response: { 200: hookSchema } } },
    (request) => withTenant(pool, request.tenantId, async (tx) => toHook(await getHook(tx, request.params.id))),
  );

  app.patch(
    '/v1/inbound-hooks/:id',
    {
      schema: {
        tags,
        summary: "Change a hook's name or mapping",
        params: hookIdParams,
        body: updateHookBody,
        response: { 200: hookSchema },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) => {
        const { name, ...patch } = request.body;
        const current = await getHook(tx, request.params.id);
        const mapping = Object.keys(patch).length > 0 ? hookMappingSchema.parse({ ...current.mapping, ...patch }) : undefined;
        return toHook(await updateHook(tx, request.params.id, { name, mapping }));
      }),
  );

  app.delete(
    '/v1/inbound-hooks/:id',
    {
      schema: {
        tags,
        summary: 'Delete an inbound hook and its receipts; its URL answers 404',
        params: hookIdParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await withTenant(pool, request.tenantId, (tx) => deleteHook(tx, request.params.id));
      return reply.code(204).send(null);
    },
  );
};
