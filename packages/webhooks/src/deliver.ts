import type { Logger } from '@warren/core';
import { openSecret } from '@warren/credentials';
import { asAppRole, type Pool, withTenant } from '@warren/db';
import type { WebhookDeliveryJob, WebhookQueue } from '@warren/queue';
import { type ClaimedDelivery, claimDelivery, type FailurePolicy, recordAttempt } from './delivery-state.ts';
import type { DestinationPolicy } from './destination.ts';
import { sendAttempt, succeeded } from './send-attempt.ts';
import { signedHeaders } from './signing.ts';

export interface DeliverySettings extends FailurePolicy {
  /** HOOK_SECRET_KEY: opens the endpoints' sealed secrets. */
  sealingKey: string;
  /** The longest an attempt may take, from connecting to the answer's end. */
  timeoutMs: number;
  destinations: DestinationPolicy;
}

export interface DeliveryDeps {
  pool: Pool;
  queue: WebhookQueue;
  settings: DeliverySettings;
  logger: Logger;
  /** Told how each attempt went and how long it took (for metrics). */
  onAttempt?: (outcome: 'succeeded' | 'failed', seconds: number) => void;
}

/** A worker that died mid-attempt is given up on this long after the attempt's timeout. */
const LEASE_MARGIN_MS = 10_000;

/**
 * One `webhook_delivery` job: claim the delivery, POST it outside any transaction (a slow
 * receiver must not hold one open), record how it went. A job that finds the delivery held by a
 * live attempt is sent again for when that attempt's lease ends, in case its worker dies.
 */
export async function runDeliveryJob(deps: DeliveryDeps, job: WebhookDeliveryJob): Promise<void> {
  const { pool, queue, settings, logger } = deps;
  const claimed = await withTenant(pool, job.tenantId, async (tx) => {
    const claim = await claimDelivery(tx, job.deliveryId, settings.timeoutMs + LEASE_MARGIN_MS);
    if ('kind' in claim && claim.kind === 'held') {
      const { until } = claim;
      await asAppRole(tx, () => queue.sendDeliveries(tx.client, [{ ...job, startAfter: until }]));
    }
    return 'kind' in claim ? null : claim;
  });
  if (!claimed) return;
  const started = new Date();
  const outcome = await attempt(claimed, settings);
  const ok = succeeded(outcome);
  deps.onAttempt?.(ok ? 'succeeded' : 'failed', outcome.durationMs / 1000);
  const recorded = await withTenant(pool, job.tenantId, (tx) => recordAttempt(tx, queue, claimed, started, { ...outcome, ok }, settings));
  const where = { tenantId: job.tenantId, endpointId: claimed.endpointId, deliveryId: claimed.id, attempt: claimed.attempt };
  if (recorded === null) logger.warn(where, 'a webhook attempt ended after its delivery was taken over by another worker or deleted');
  if (recorded?.endpointDisabled) logger.warn(where, 'webhook endpoint disabled after a long run of failed attempts');
  if (!ok) logger.info({ ...where, statusCode: outcome.statusCode, error: outcome.error }, 'webhook attempt failed');
}

async function attempt(claim: ClaimedDelivery, settings: DeliverySettings) {
  const secrets = await Promise.all(claim.sealedSecrets.map((sealed) => openSecret(settings.sealingKey, sealed)));
  const body = JSON.stringify(claim.payload);
  return sendAttempt(claim.url, signedHeaders(secrets, claim.id, new Date(), body), body, {
    timeoutMs: settings.timeoutMs,
    destinations: settings.destinations,
  });
}
