import { idempotent, requestFingerprint, type StoredResponse } from '@warren/conversations';
import { type Pool, type TenantTx, withTenant } from '@warren/db';
import type { FastifyReply } from 'fastify';

/**
 * Runs a create operation under the request's Idempotency-Key, if it sent one, and sends the
 * (possibly replayed) response. Replays carry `Idempotent-Replayed: true`.
 */
export async function sendIdempotent(
  reply: FastifyReply,
  pool: Pool,
  request: { tenantId: string; key: string | undefined; scope: string; input: unknown },
  create: (tx: TenantTx) => Promise<StoredResponse>,
) {
  const { key } = request;
  const result = await withTenant(pool, request.tenantId, (tx) =>
    key
      ? idempotent(tx, { scope: request.scope, key, fingerprint: requestFingerprint(request.input) }, () => create(tx))
      : create(tx).then((r) => ({ ...r, replayed: false })),
  );
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(result.status).send(result.body);
}
