import { AppError, idSchema, text } from '@warren/core';
import { type Pool, tenantSchema, withTenant } from '@warren/db';
import { eventTypes } from '@warren/events';
import type { WebhookQueue } from '@warren/queue';
import {
  createEndpoint,
  deleteEndpoint,
  getDelivery,
  getEndpoint,
  listAttempts,
  listDeliveries,
  listEndpoints,
  redeliver,
  rotateEndpointSecret,
  updateEndpoint,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '@warren/webhooks';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { page, pageQuery } from '../schemas.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(z.enum(eventTypes)).describe('The event types sent here; empty: every type.'),
  enabled: z.boolean(),
  disabledReason: z
    .enum(['failing', 'manual'])
    .nullable()
    .describe('failing: disabled by the sender after a long run of failed attempts; manual: by a PATCH.'),
  previousSecretExpiresAt: z.iso
    .datetime()
    .nullable()
    .describe('After a rotation, the old secret also signs until then (webhook-signature lists both).'),
  consecutiveFailures: z.number().int(),
  failingSince: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const toEndpoint = (e: WebhookEndpoint): z.infer<typeof endpointSchema> => ({
  ...e,
  eventTypes: e.eventTypes as z.infer<typeof endpointSchema>['eventTypes'],
  previousSecretExpiresAt: iso(e.previousSecretExpiresAt),
  failingSince: iso(e.failingSince),
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

const deliverySchema = z.object({
  id: z.string().describe('Sent as webhook-id with every attempt: receivers drop a delivery they have already seen by it.'),
  endpointId: z.string(),
  eventId: z.number().int(),
  eventType: z.string(),
  payload: z.record(z.string(), z.unknown()).describe('The body every attempt sends: {type, timestamp, data}.'),
  status: z.enum(tenantSchema.webhookDeliveryStatuses),
  attempts: z.number().int(),
  nextAttemptAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const toDelivery = (d: WebhookDelivery): z.infer<typeof deliverySchema> => ({
  ...d,
  nextAttemptAt: iso(d.nextAttemptAt),
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

const attemptSchema = z.object({
  attempt: z.number().int(),
  trigger: z.enum(['scheduled', 'manual']),
  startedAt: z.iso.datetime(),
  durationMs: z.number().int(),
  statusCode: z.number().int().nullable().describe("The receiver's status; null when none came."),
  error: z.string().nullable(),
  responseBody: z.string().nullable().describe("The first KiB of the receiver's answer."),
});

const url = text()
  .max(2048)
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }))
  .transform((u) => new URL(u));

const endpointFields = {
  url: url.describe('Where deliveries are POSTed. Loopback, private, link-local and metadata addresses are refused.'),
  description: text().max(500),
  eventTypes: z
    .array(z.enum(eventTypes))
    .max(eventTypes.length)
    .transform((types) => [...new Set(types)])
    .describe('The event types to send; empty or absent: every type.'),
  enabled: z.boolean(),
};

const createBody = z.strictObject({
  url: endpointFields.url,
  description: endpointFields.description.default(''),
  eventTypes: endpointFields.eventTypes.default([]),
  enabled: endpointFields.enabled.default(true),
});

const updateBody = z
  .strictObject({
    url: endpointFields.url.optional(),
    description: endpointFields.description.optional(),
    eventTypes: endpointFields.eventTypes.optional(),
    enabled: endpointFields.enabled
      .optional()
      .describe('Enabling clears the failure run; events that happened while disabled are not sent.'),
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');

const rotateBody = z.strictObject({
  overlapSeconds: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(86_400)
    .describe('How long the old secret keeps signing beside the new one (0: it stops at once).'),
});

const endpointParams = z.strictObject({ id: idSchema('webhookEndpoint') });
const deliveryParams = z.strictObject({ id: idSchema('webhookDelivery') });

const secretField = z.string().describe('The signing secret (whsec_…). Shown once: store it now.');

/** A tenant's outbound webhook endpoints, their deliveries and attempts (sent by workers, see packages/webhooks). */
export const webhookEndpointRoutes: FastifyPluginAsyncZod<{
  pool: Pool;
  webhookQueue: WebhookQueue;
  sealingKey: string | undefined;
  allowPrivateDestinations: boolean;
  defaultMaxWebhookEndpoints: number;
}> = async (app, opts) => {
  const { pool, webhookQueue, defaultMaxWebhookEndpoints } = opts;
  const tags = ['webhook endpoints'];
  const destinations = { allowPrivate: opts.allowPrivateDestinations };
  const sealingKey = () => {
    if (!opts.sealingKey) throw new AppError('unavailable', 'webhook endpoints are not configured (HOOK_SECRET_KEY)');
    return opts.sealingKey;
  };

  app.post(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Create a webhook endpoint (its secret is shown once)',
        description: `Events recorded from now on are POSTed to the URL, signed per Standard Webhooks. A tenant holds at most its quota of endpoints (maxWebhookEndpoints, by default ${defaultMaxWebhookEndpoints}); beyond it, 409 webhook-endpoint-quota-exceeded. A refused destination is 422 destination-refused.`,
        body: createBody,
        response: { 201: endpointSchema.extend({ secret: secretField }) },
      },
    },
    async (request, reply) => {
      const settings = { sealingKey: sealingKey(), destinations, defaultMax: defaultMaxWebhookEndpoints };
      const { endpoint, secret } = await withTenant(pool, request.tenantId, (tx) => createEndpoint(tx, request.body, settings));
      return reply.code(201).send({ ...toEndpoint(endpoint), secret });
    },
  );

  app.get(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'List webhook endpoints, oldest first',
        querystring: pageQuery.extend({
          after: idSchema('webhookEndpoint').optional().describe('Return endpoints created after this one.'),
        }),
        response: { 200: page(endpointSchema, z.string()) },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) => {
        const { after, limit } = request.query;
        const rows = await listEndpoints(tx, { after, limit: limit + 1 });
        const data = rows.slice(0, limit).map(toEndpoint);
        return { data, next: rows.length > limit ? data.at(-1)!.id : null };
      }),
  );

  app.get(
    '/v1/webhook-endpoints/:id',
    { schema: { tags, summary: 'Get a webhook endpoint (never its secret)', params: endpointParams, response: { 200: endpointSchema } } },
    (request) => withTenant(pool, request.tenantId, async (tx) => toEndpoint(await getEndpoint(tx, request.params.id))),
  );

  app.patch(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: "Change an endpoint's URL, description, event types, or enable / disable it",
        params: endpointParams,
        body: updateBody,
        response: { 200: endpointSchema },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) =>
        toEndpoint(await updateEndpoint(tx, request.params.id, request.body, { sealingKey: sealingKey(), destinations })),
      ),
  );

  app.delete(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Delete a webhook endpoint with its deliveries; nothing more is sent to it',
        params: endpointParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await withTenant(pool, request.tenantId, (tx) => deleteEndpoint(tx, request.params.id));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/webhook-endpoints/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: "Replace an endpoint's secret (the new one is shown once)",
        description: 'During the overlap every attempt is signed with both secrets, so receivers can switch without refusing one.',
        params: endpointParams,
        body: rotateBody.nullish(),
        response: { 200: endpointSchema.extend({ secret: secretField }) },
      },
    },
    async (request) => {
      const { overlapSeconds } = rotateBody.parse(request.body ?? {});
      const { endpoint, secret } = await withTenant(pool, request.tenantId, (tx) =>
        rotateEndpointSecret(tx, request.params.id, overlapSeconds, { sealingKey: sealingKey() }),
      );
      return { ...toEndpoint(endpoint), secret };
    },
  );

  app.get(
    '/v1/webhook-endpoints/:id/deliveries',
    {
      schema: {
        tags,
        summary: "An endpoint's deliveries, newest first",
        params: endpointParams,
        querystring: pageQuery.extend({
          before: idSchema('webhookDelivery').optional().describe('Return deliveries older than this one.'),
          status: z.enum(tenantSchema.webhookDeliveryStatuses).optional(),
        }),
        response: { 200: page(deliverySchema, z.string()) },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) => {
        await getEndpoint(tx, request.params.id); // 404 for another tenant's endpoint, not an empty page
        const { before, status, limit } = request.query;
        const rows = await listDeliveries(tx, request.params.id, { before, status, limit: limit + 1 });
        const data = rows.slice(0, limit).map(toDelivery);
        return { data, next: rows.length > limit ? data.at(-1)!.id : null };
      }),
  );

  app.get(
    '/v1/webhook-deliveries/:id',
    {
      schema: {
        tags,
        summary: 'A delivery with every attempt made (status, latency, the start of the answer)',
        params: deliveryParams,
        response: { 200: deliverySchema.extend({ attemptLog: z.array(attemptSchema) }) },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) => {
        const delivery = await getDelivery(tx, request.params.id);
        const attempts = await listAttempts(tx, delivery.id);
        return {
          ...toDelivery(delivery),
          attemptLog: attempts.map(({ deliveryId: _d, ...a }) => ({ ...a, startedAt: a.startedAt.toISOString() })),
        };
      }),
  );

  app.post(
    '/v1/webhook-deliveries/:id/redeliver',
    {
      schema: {
        tags,
        summary: 'Send a finished delivery again, now (one attempt, same webhook-id)',
        description: '409 while the delivery is still pending or being sent, or when its endpoint is disabled.',
        params: deliveryParams,
        response: { 202: deliverySchema },
      },
    },
    async (request, reply) => {
      const delivery = await withTenant(pool, request.tenantId, async (tx) => {
        await redeliver(tx, webhookQueue, request.params.id);
        return getDelivery(tx, request.params.id);
      });
      return reply.code(202).send(toDelivery(delivery));
    },
  );
};
