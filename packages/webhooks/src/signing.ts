import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A signing secret in the Standard Webhooks form: `whsec_` + base64 of 32 random bytes. */
export const newEndpointSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The three Standard Webhooks headers for one attempt. Every secret still in force signs (the
 * current one and, during a rotation's overlap, the previous one): `webhook-signature` lists
 * them space-separated, and a receiver that knows either accepts the request.
 */
export function signedHeaders(secrets: string[], webhookId: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(webhookId, at, body)).join(' '),
  };
}
