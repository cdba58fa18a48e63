import { newId, notFound } from '@warren/core';
import { sealSecret } from '@warren/credentials';
import { addToControlIndex, asAppRole, type ControlIndex, removeFromControlIndex, type TenantTx, tenantSchema } from '@warren/db';
import { asc, eq, gt, sql } from 'drizzle-orm';
import { checkDestination, type DestinationPolicy } from './destination.ts';
import { newEndpointSecret } from './signing.ts';

const { webhookEndpoints } = tenantSchema;

const ENDPOINTS_INDEX: ControlIndex = {
  table: 'webhook_endpoints',
  maxColumn: 'max_webhook_endpoints',
  quota: 'maxWebhookEndpoints',
  problem: 'webhook_endpoint_quota_exceeded',
  what: 'webhook endpoints',
};

/** NOTIFYed with the tenant id when a tenant gets an endpoint: workers start fanning out its events. */
export const ENDPOINTS_CHANNEL = 'warren_webhook_endpoints';

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  /** Empty: every type. */
  eventTypes: string[];
  enabled: boolean;
  disabledReason: 'failing' | 'manual' | null;
  /** While a rotated-out secret still signs. */
  previousSecretExpiresAt: Date | null;
  consecutiveFailures: number;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

type Row = typeof webhookEndpoints.$inferSelect;

const toEndpoint = (row: Row): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  description: row.description,
  eventTypes: row.eventTypes,
  enabled: row.enabled,
  disabledReason: row.disabledReason,
  previousSecretExpiresAt: row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date() ? row.previousSecretExpiresAt : null,
  consecutiveFailures: row.consecutiveFailures,
  failingSince: row.failingSince,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export interface EndpointSettings {
  /** HOOK_SECRET_KEY: seals the endpoints' secrets. */
  sealingKey: string;
  destinations: DestinationPolicy;
}

/**
 * The fan-out position of "now": the newest event of the tenant, so an endpoint receives what
 * happens after it was created or enabled, not the tenant's history. Taken as the newest
 * committed event, not the final horizon: an older transaction still running may commit an
 * event below it, which is then not sent here (it happened before the endpoint existed).
 */
const headCursor = sql`(SELECT coalesce(max(xid), '0'::xid8) FROM events)`;
const headCursorId = sql`(SELECT coalesce(max(id), 0) FROM events WHERE xid = (SELECT max(xid) FROM events))`;

/**
 * Creates an endpoint and its entry in the control index, unless the tenant already holds its
 * quota (`max_webhook_endpoints`, else `defaultMax`). Returns the secret in the clear: the only
 * time it is shown.
 */
export async function createEndpoint(
  tx: TenantTx,
  input: { url: URL; description: string; eventTypes: string[]; enabled: boolean },
  settings: EndpointSettings & { defaultMax: number },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await checkDestination(input.url, settings.destinations);
  const id = newId('webhookEndpoint');
  await addToControlIndex(tx, ENDPOINTS_INDEX, id, settings.defaultMax);
  await asAppRole(tx, () => tx.client.query(`SELECT pg_notify('${ENDPOINTS_CHANNEL}', $1)`, [tx.tenantId]));
  const secret = newEndpointSecret();
  const [row] = await tx.db
    .insert(webhookEndpoints)
    .values({
      id,
      url: input.url.href,
      description: input.description,
      eventTypes: input.eventTypes,
      enabled: input.enabled,
      disabledReason: input.enabled ? null : 'manual',
      sealedSecret: await sealSecret(settings.sealingKey, secret),
      cursorXid: headCursor,
      cursorId: headCursorId,
    })
    .returning();
  return { endpoint: toEndpoint(row!), secret };
}

export async function getEndpoint(tx: TenantTx, id: string): Promise<WebhookEndpoint> {
  const [row] = await tx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw notFound('webhook endpoint');
  return toEndpoint(row);
}

/** Endpoints in creation order; `after` is the last id of the previous page. */
export async function listEndpoints(tx: TenantTx, page: { after?: string | undefined; limit: number }): Promise<WebhookEndpoint[]> {
  const rows = await tx.db
    .select()
    .from(webhookEndpoints)
    .where(page.after ? gt(webhookEndpoints.id, page.after) : undefined)
    .orderBy(asc(webhookEndpoints.id))
    .limit(page.limit);
  return rows.map(toEndpoint);
}

/**
 * Changes an endpoint. Enabling a disabled one clears its failure run and moves its fan-out
 * position to now: what happened while it was disabled is not sent (its failed deliveries can be
 * sent again by hand). Disabling stops new deliveries at once; those already scheduled fail
 * when their time comes.
 */
export async function updateEndpoint(
  tx: TenantTx,
  id: string,
  patch: { url?: URL | undefined; description?: string | undefined; eventTypes?: string[] | undefined; enabled?: boolean | undefined },
  settings: EndpointSettings,
): Promise<WebhookEndpoint> {
  const current = await getEndpoint(tx, id);
  if (patch.url) await checkDestination(patch.url, settings.destinations);
  const enabling = patch.enabled === true && !current.enabled;
  const disabling = patch.enabled === false && current.enabled;
  const [row] = await tx.db
    .update(webhookEndpoints)
    .set({
      ...(patch.url ? { url: patch.url.href } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.eventTypes ? { eventTypes: patch.eventTypes } : {}),
      ...(enabling
        ? {
            enabled: true,
            disabledReason: null,
            consecutiveFailures: 0,
            failingSince: null,
            cursorXid: headCursor,
            cursorId: headCursorId,
          }
        : {}),
      ...(disabling ? { enabled: false, disabledReason: 'manual' as const } : {}),
      updatedAt: new Date(),
    })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  return toEndpoint(row!);
}

/**
 * A new secret, shown once. The old one keeps signing beside it for `overlapSeconds` (0: it stops
 * at once), so receivers can switch over without refusing a delivery.
 */
export async function rotateEndpointSecret(
  tx: TenantTx,
  id: string,
  overlapSeconds: number,
  settings: Pick<EndpointSettings, 'sealingKey'>,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const secret = newEndpointSecret();
  const sealed = await sealSecret(settings.sealingKey, secret);
  const { rows } = await tx.client.query<{ id: string }>(
    `UPDATE webhook_endpoints
        SET sealed_previous_secret = CASE WHEN $3 > 0 THEN sealed_secret END,
            previous_secret_expires_at = CASE WHEN $3 > 0 THEN now() + make_interval(secs => $3) END,
            sealed_secret = $2, updated_at = now()
      WHERE id = $1 RETURNING id`,
    [id, sealed, overlapSeconds],
  );
  if (rows.length === 0) throw notFound('webhook endpoint');
  return { endpoint: await getEndpoint(tx, id), secret };
}

/** Deletes the endpoint with its deliveries and attempts (cascade) and its control entry. */
export async function deleteEndpoint(tx: TenantTx, id: string): Promise<void> {
  const deleted = await tx.db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id });
  if (deleted.length === 0) throw notFound('webhook endpoint');
  await removeFromControlIndex(tx, ENDPOINTS_INDEX, id);
}
