import { notFound } from '@warren/core';
import { type TenantTx, tenantSchema } from '@warren/db';
import { and, asc, desc, eq, lt } from 'drizzle-orm';

const { webhookDeliveries, webhookAttempts } = tenantSchema;

export type WebhookDelivery = Omit<typeof webhookDeliveries.$inferSelect, 'leaseUntil' | 'manual'>;
export type WebhookAttempt = Omit<typeof webhookAttempts.$inferSelect, 'id'>;

const deliveryColumns = {
  id: webhookDeliveries.id,
  endpointId: webhookDeliveries.endpointId,
  eventId: webhookDeliveries.eventId,
  eventType: webhookDeliveries.eventType,
  payload: webhookDeliveries.payload,
  status: webhookDeliveries.status,
  attempts: webhookDeliveries.attempts,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  lastError: webhookDeliveries.lastError,
  createdAt: webhookDeliveries.createdAt,
  updatedAt: webhookDeliveries.updatedAt,
};

/** An endpoint's deliveries, newest first; `before` is the last id of the previous page. */
export async function listDeliveries(
  tx: TenantTx,
  endpointId: string,
  page: { before?: string | undefined; status?: WebhookDelivery['status'] | undefined; limit: number },
): Promise<WebhookDelivery[]> {
  return tx.db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        page.before ? lt(webhookDeliveries.id, page.before) : undefined,
        page.status ? eq(webhookDeliveries.status, page.status) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(page.limit);
}

export async function getDelivery(tx: TenantTx, id: string): Promise<WebhookDelivery> {
  const [row] = await tx.db.select(deliveryColumns).from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  if (!row) throw notFound('webhook delivery');
  return row;
}

/** A delivery's attempts, oldest first. */
export async function listAttempts(tx: TenantTx, deliveryId: string): Promise<WebhookAttempt[]> {
  return tx.db
    .select({
      deliveryId: webhookAttempts.deliveryId,
      attempt: webhookAttempts.attempt,
      trigger: webhookAttempts.trigger,
      startedAt: webhookAttempts.startedAt,
      durationMs: webhookAttempts.durationMs,
      statusCode: webhookAttempts.statusCode,
      error: webhookAttempts.error,
      responseBody: webhookAttempts.responseBody,
    })
    .from(webhookAttempts)
    .where(eq(webhookAttempts.deliveryId, deliveryId))
    .orderBy(asc(webhookAttempts.id));
}
