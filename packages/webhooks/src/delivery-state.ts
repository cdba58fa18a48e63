import { AppError, notFound } from '@warren/core';
import { asAppRole, type TenantTx } from '@warren/db';
import type { WebhookQueue } from '@warren/queue';
import type { AttemptOutcome } from './send-attempt.ts';

// A delivery's states, all moved here:
//   pending  --claim-->  sending  --success-->  succeeded
//                                 --failure-->  pending (next retry, a job deferred to it) | failed (schedule used up)
//   sending with its lease lapsed (the worker died mid-attempt) is claimed again.
//   pending whose endpoint was disabled --> failed.
//   succeeded | failed  --redeliver-->  pending (one manual attempt, no retries after it).

export type AttemptTrigger = 'scheduled' | 'manual';

export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  url: string;
  payload: Record<string, unknown>;
  /** This attempt's number (the fence for recording it). */
  attempt: number;
  trigger: AttemptTrigger;
  sealedSecrets: string[];
}

/** How the sender is told what to do with a job that found no attempt to make. */
export type Unclaimed = { kind: 'nothing' } | { kind: 'held'; until: Date };

/**
 * Takes the delivery for one attempt: it is due and pending, or a worker's lease on it lapsed.
 * The lease outlasts the attempt's timeout, so a live worker's attempt is never taken over.
 */
export async function claimDelivery(tx: TenantTx, deliveryId: string, leaseMs: number): Promise<ClaimedDelivery | Unclaimed> {
  const { rows } = await tx.client.query<{
    id: string;
    endpoint_id: string;
    url: string;
    payload: Record<string, unknown>;
    attempts: number;
    manual: boolean;
    sealed_secret: string;
    sealed_previous_secret: string | null;
    lost_lease_until: Date | null;
  }>(
    `WITH before AS (SELECT id, status, lease_until FROM webhook_deliveries WHERE id = $1 FOR UPDATE)
     UPDATE webhook_deliveries d
        SET status = 'sending', attempts = d.attempts + 1, lease_until = now() + make_interval(secs => $2 / 1000.0), updated_at = now()
       FROM webhook_endpoints e, before
      WHERE d.id = before.id AND e.id = d.endpoint_id AND e.enabled
        AND ((d.status = 'pending' AND d.next_attempt_at <= now()) OR (d.status = 'sending' AND d.lease_until < now()))
      RETURNING d.id, d.endpoint_id, e.url, d.payload, d.attempts, d.manual, e.sealed_secret,
                CASE WHEN e.previous_secret_expires_at > now() THEN e.sealed_previous_secret END AS sealed_previous_secret,
                CASE WHEN before.status = 'sending' THEN before.lease_until END AS lost_lease_until`,
    [deliveryId, leaseMs],
  );
  const row = rows[0];
  if (row?.lost_lease_until) {
    // The previous attempt's worker died before recording it: the receiver may or may not have it.
    await tx.client.query(
      `INSERT INTO webhook_attempts (delivery_id, attempt, trigger, started_at, duration_ms, error)
       VALUES ($1, $2, $3, $4::timestamptz - make_interval(secs => $5 / 1000.0), $5, 'the sending worker stopped mid-attempt; outcome unknown')`,
      [row.id, row.attempts - 1, row.manual ? 'manual' : 'scheduled', row.lost_lease_until, leaseMs],
    );
  }
  if (row) {
    return {
      id: row.id,
      endpointId: row.endpoint_id,
      url: row.url,
      payload: row.payload,
      attempt: row.attempts,
      trigger: row.manual ? 'manual' : 'scheduled',
      sealedSecrets: row.sealed_previous_secret ? [row.sealed_secret, row.sealed_previous_secret] : [row.sealed_secret],
    };
  }
  // Why not: held by a live attempt (look again when its lease ends), its endpoint disabled
  // (it fails), or a stale job (already done, or due later under another job).
  const { rows: seen } = await tx.client.query<{ status: string; lease_until: Date | null; held: boolean; enabled: boolean }>(
    `SELECT d.status, d.lease_until, d.status = 'sending' AND d.lease_until >= now() AS held, e.enabled
       FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1`,
    [deliveryId],
  );
  const found = seen[0];
  if (found?.held) return { kind: 'held', until: found.lease_until! };
  if (found && !found.enabled && (found.status === 'pending' || found.status === 'sending')) {
    await tx.client.query(
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease_until = NULL, manual = false,
              last_error = 'endpoint disabled', updated_at = now() WHERE id = $1`,
      [deliveryId],
    );
  }
  return { kind: 'nothing' };
}

export interface FailurePolicy {
  /** Seconds before each retry after a failed scheduled attempt; its length is the number of retries. */
  retrySchedule: readonly number[];
  /** An endpoint is disabled after this many failed attempts in a row … */
  disableAfterFailures: number;
  /** … that went on for at least this long. */
  disableAfterSeconds: number;
}

export interface Recorded {
  status: 'succeeded' | 'pending' | 'failed';
  /** The endpoint was disabled by this failure. */
  endpointDisabled: boolean;
}

/**
 * Records an attempt and moves its delivery on: succeeded, pending until the next retry (whose
 * job is sent in this transaction), or failed. The attempt row is written even when another
 * worker took the delivery over meanwhile (the attempt happened); the delivery's state only
 * when this attempt is still the current one. Null when it is not (or the delivery is gone).
 */
export async function recordAttempt(
  tx: TenantTx,
  queue: WebhookQueue,
  claim: ClaimedDelivery,
  started: Date,
  outcome: AttemptOutcome & { ok: boolean },
  policy: FailurePolicy,
): Promise<Recorded | null> {
  // Not when the delivery is gone (its endpoint was deleted during the attempt): nothing to record.
  await tx.client.query(
    `INSERT INTO webhook_attempts (delivery_id, attempt, trigger, started_at, duration_ms, status_code, error, response_body)
     SELECT id, $2, $3, $4, $5, $6, $7, $8 FROM webhook_deliveries WHERE id = $1`,
    [
      claim.id,
      claim.attempt,
      claim.trigger,
      started,
      outcome.durationMs,
      outcome.statusCode ?? null,
      outcome.error ?? null,
      outcome.responseBody ?? null,
    ],
  );
  // Retries follow scheduled attempts only: a manual attempt is one try.
  const retryIn = outcome.ok || claim.trigger === 'manual' ? undefined : policy.retrySchedule[claim.attempt - 1];
  const status = outcome.ok ? 'succeeded' : retryIn !== undefined ? 'pending' : 'failed';
  const { rows } = await tx.client.query<{ next_attempt_at: Date | null }>(
    `UPDATE webhook_deliveries
        SET status = $3, lease_until = NULL, manual = false, updated_at = now(),
            next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + make_interval(secs => $4) END,
            last_error = $5
      WHERE id = $1 AND status = 'sending' AND attempts = $2
      RETURNING next_attempt_at`,
    [claim.id, claim.attempt, status, retryIn ?? 0, outcome.ok ? null : (outcome.error ?? null)],
  );
  if (rows.length === 0) return null;
  const next = rows[0]!.next_attempt_at;
  if (next) await asAppRole(tx, () => queue.sendDeliveries(tx.client, [{ tenantId: tx.tenantId, deliveryId: claim.id, startAfter: next }]));
  return { status, endpointDisabled: await recordEndpointHealth(tx, claim.endpointId, outcome.ok, policy) };
}

/** A success ends the endpoint's failure run; a failure extends it and may disable the endpoint. */
async function recordEndpointHealth(tx: TenantTx, endpointId: string, ok: boolean, policy: FailurePolicy): Promise<boolean> {
  if (ok) {
    await tx.client.query(
      'UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = $1 AND consecutive_failures > 0',
      [endpointId],
    );
    return false;
  }
  const { rows } = await tx.client.query<{ disabled: boolean }>(
    `UPDATE webhook_endpoints e
        SET consecutive_failures = e.consecutive_failures + 1,
            failing_since = coalesce(e.failing_since, now()),
            enabled = NOT f.disable, disabled_reason = CASE WHEN f.disable THEN 'failing' ELSE e.disabled_reason END
       FROM (SELECT enabled AND consecutive_failures + 1 >= $2
                    AND coalesce(failing_since, now()) <= now() - make_interval(secs => $3) AS disable
               FROM webhook_endpoints WHERE id = $1) f
      WHERE e.id = $1 AND e.enabled
      RETURNING f.disable AS disabled`,
    [endpointId, policy.disableAfterFailures, policy.disableAfterSeconds],
  );
  return rows[0]?.disabled ?? false;
}

/**
 * Sends a finished delivery once more, now, as a manual attempt (no retries after it); its job is
 * sent in this transaction. A delivery still pending or being sent already has an attempt coming.
 */
export async function redeliver(tx: TenantTx, queue: WebhookQueue, deliveryId: string): Promise<void> {
  const { rows } = await tx.client.query<{ status: string; enabled: boolean }>(
    `SELECT d.status, e.enabled FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1 FOR UPDATE OF d`,
    [deliveryId],
  );
  const found = rows[0];
  if (!found) throw notFound('webhook delivery');
  if (!found.enabled) throw new AppError('conflict', 'the endpoint is disabled: enable it first');
  if (found.status === 'pending' || found.status === 'sending') {
    throw new AppError('conflict', `the delivery is ${found.status}: an attempt is already coming`);
  }
  await tx.client.query(
    `UPDATE webhook_deliveries SET status = 'pending', manual = true, next_attempt_at = now(), last_error = NULL, updated_at = now() WHERE id = $1`,
    [deliveryId],
  );
  await asAppRole(tx, () => queue.sendDeliveries(tx.client, [{ tenantId: tx.tenantId, deliveryId }]));
}
