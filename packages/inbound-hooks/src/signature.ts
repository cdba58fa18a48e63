import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '@warren/core';
import { tenantSchema } from '@warren/db';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export const hookSchemes = tenantSchema.inboundHookSchemes;
export type HookScheme = (typeof hookSchemes)[number];

type Headers = Record<string, string | string[] | undefined>;

/** A signing secret in the Standard Webhooks form (`whsec_` + base64 of 32 random bytes); GitHub takes it as typed. */
export const newHookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The sender's id for this delivery, its replay key: printable ASCII, as both schemes send it. */
const DELIVERY_ID = /^[\x21-\x7e]{1,255}$/;

const header = (headers: Headers, name: string) => {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
};

const refused = (why: string) => new AppError('unauthorized', `webhook signature not verified: ${why}`);

/**
 * Checks a delivery's signature over its raw bytes and returns its delivery id; throws a 401
 * AppError otherwise. Both comparisons are constant-time.
 * - standard-webhooks: `webhook-id`, `webhook-timestamp` (within 5 minutes of now),
 *   `webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`), by the standardwebhooks package.
 * - github: `X-Hub-Signature-256` (`sha256=<hex HMAC-SHA256 of the body>`) and `X-GitHub-Delivery`.
 *   GitHub signs no timestamp, so only the delivery id stops a replay.
 */
export function verifyDelivery(scheme: HookScheme, secret: string, raw: Buffer, headers: Headers): string {
  const deliveryId = header(headers, scheme === 'github' ? 'x-github-delivery' : 'webhook-id');
  if (scheme === 'github') verifyGithub(secret, raw, header(headers, 'x-hub-signature-256'));
  else verifyStandard(secret, raw, headers);
  if (!deliveryId || !DELIVERY_ID.test(deliveryId)) throw refused('the delivery id header is missing or malformed');
  return deliveryId;
}

function verifyStandard(secret: string, raw: Buffer, headers: Headers) {
  const signed = {
    'webhook-id': header(headers, 'webhook-id') ?? '',
    'webhook-timestamp': header(headers, 'webhook-timestamp') ?? '',
    'webhook-signature': header(headers, 'webhook-signature') ?? '',
  };
  try {
    new Webhook(secret).verify(raw.toString('utf8'), signed, { jsonParse: false });
  } catch (err) {
    if (err instanceof WebhookVerificationError) throw refused(err.message.toLowerCase());
    throw err;
  }
}

const GITHUB_SIGNATURE = /^sha256=([0-9a-f]{64})$/;

function verifyGithub(secret: string, raw: Buffer, signature: string | undefined) {
  const match = signature ? GITHUB_SIGNATURE.exec(signature) : null;
  if (!match) throw refused('X-Hub-Signature-256 is missing or malformed');
  const expected = createHmac('sha256', secret).update(raw).digest();
  if (!timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected)) throw refused('no matching signature');
}
