import rateLimit from '@fastify/rate-limit';
import { AppError, idSchema, text } from '@warren/core';
import { type ReceiverDeps, receiveDelivery } from '@warren/inbound-hooks';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const receiptSchema = z.object({
  deliveryId: z.string(),
  conversationId: z.string(),
  messageId: z.string(),
  replayed: z.boolean().describe('This delivery id was accepted before; nothing new was stored.'),
});

const signatureHeader = text().max(4096).optional();
const deliveryHeaders = z.looseObject({
  'webhook-id': signatureHeader.describe('standard-webhooks: the delivery id'),
  'webhook-timestamp': signatureHeader.describe('standard-webhooks: Unix seconds, within 5 minutes of now'),
  'webhook-signature': signatureHeader.describe('standard-webhooks: v1,<base64 HMAC-SHA256>'),
  'x-github-delivery': signatureHeader.describe('github: the delivery id'),
  'x-hub-signature-256': signatureHeader.describe('github: sha256=<hex HMAC-SHA256>'),
});

/**
 * The public end of inbound hooks: no API key, the signature is the credential. Bodies are kept
 * as raw bytes (what was signed) whatever their content type, up to `bodyLimit` (413 beyond),
 * and rate-limited per hook.
 */
export const hookDeliveryRoutes: FastifyPluginAsyncZod<
  Omit<ReceiverDeps, 'sealingKey'> & { sealingKey: string | undefined; bodyLimit: number; perMinute: number }
> = async (app, { sealingKey, bodyLimit, perMinute, ...deps }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: '1 minute',
    keyGenerator: (request) => (request.params as { hookId?: string }).hookId ?? request.ip,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new AppError('rate_limited', `rate limit of ${context.max} deliveries per ${context.after} exceeded`), {
        statusCode: 429,
      }),
  });

  app.post(
    '/hooks/:hookId',
    {
      bodyLimit,
      schema: {
        tags: ['inbound hooks'],
        summary: 'Deliver a signed webhook to an inbound hook',
        description:
          "Signed per the hook's scheme; the body is JSON and is mapped to a conversation and a message text. 201: the message (and its turn) are committed. 200: this delivery id was accepted before. 401: the signature does not verify (nothing stored). 422: the payload does not fit the mapping.",
        security: [],
        params: z.strictObject({ hookId: idSchema('inboundHook') }),
        headers: deliveryHeaders,
        response: { 200: receiptSchema, 201: receiptSchema },
      },
    },
    async (request, reply) => {
      if (!sealingKey) throw new AppError('unavailable', 'inbound hooks are not configured (HOOK_SECRET_KEY)');
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const receipt = await receiveDelivery({ ...deps, sealingKey }, { hookId: request.params.hookId, raw, headers: request.headers });
      return reply.code(receipt.replayed ? 200 : 201).send(receipt);
    },
  );
};
