import { createHash } from 'node:crypto';
import { AppError } from '@warren/core';
import { type TenantTx, tenantSchema } from '@warren/db';
import { and, eq } from 'drizzle-orm';

const { idempotencyKeys } = tenantSchema;

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** A stable digest of what makes two requests "the same": the operation and its input. */
export function requestFingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Runs `fn` at most once per (scope, key) within the tenant, in the caller's transaction.
 * A repeat with the same fingerprint gets the stored response; a repeat with another
 * fingerprint is a conflict. A concurrent repeat waits on the key's unique index until the
 * first transaction ends, then sees its stored response (or, if it rolled back, runs itself).
 */
export async function idempotent(
  tx: TenantTx,
  key: { scope: string; key: string; fingerprint: string },
  fn: () => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  const claimed = await tx.db
    .insert(idempotencyKeys)
    .values({ scope: key.scope, key: key.key, requestHash: key.fingerprint })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (claimed.length === 0) {
    const [prior] = await tx.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.scope, key.scope), eq(idempotencyKeys.key, key.key)));
    if (!prior || prior.requestHash !== key.fingerprint || prior.responseStatus === null) {
      throw new AppError('idempotency_mismatch', 'this Idempotency-Key was already used with a different request');
    }
    return { status: prior.responseStatus, body: prior.responseBody, replayed: true };
  }
  const response = await fn();
  await tx.db
    .update(idempotencyKeys)
    .set({ responseStatus: response.status, responseBody: response.body })
    .where(and(eq(idempotencyKeys.scope, key.scope), eq(idempotencyKeys.key, key.key)));
  return { ...response, replayed: false };
}
