import type { PoolClient } from 'pg';
import type { PgBoss } from 'pg-boss';
import { z } from 'zod';

/** One attempt at one delivery (packages/webhooks). */
export const WEBHOOK_DELIVERY_QUEUE = 'webhook_delivery';
/** Turns a tenant's new events into deliveries, one tenant at a time. */
export const WEBHOOK_FAN_OUT_QUEUE = 'webhook_fan_out';

/** NOTIFYed by a transaction that sent delivery attempts due now; each notification wakes one idle delivery loop. */
export const WEBHOOK_READY_CHANNEL = 'warren_webhook_ready';
/** Loops woken per transaction at most: enough to drain a burst, each loop then wakes itself after every job. */
const WAKE_AT_MOST = 32;

export const webhookDeliveryJobSchema = z.strictObject({ tenantId: z.string(), deliveryId: z.string() });
export type WebhookDeliveryJob = z.infer<typeof webhookDeliveryJobSchema>;
export const webhookFanOutJobSchema = z.strictObject({ tenantId: z.string() });

/** Creates the queues, then applies their settings (see createTurnQueues for why both). */
export async function createWebhookQueues(boss: PgBoss): Promise<void> {
  // The delivery's own row holds its schedule; the job's retries only cover a worker that died or
  // a database that failed mid-job, so a few quick ones are enough.
  await boss.createQueue(WEBHOOK_DELIVERY_QUEUE, { policy: 'standard' });
  await boss.updateQueue(WEBHOOK_DELIVERY_QUEUE, { retryLimit: 10, retryDelay: 5, retryBackoff: true, heartbeatSeconds: 10 });
  // `stately` keyed by tenant: one fan-out runs per tenant, and every wake-up while one is queued
  // coalesces into it.
  await boss.createQueue(WEBHOOK_FAN_OUT_QUEUE, { policy: 'stately' });
  await boss.updateQueue(WEBHOOK_FAN_OUT_QUEUE, { retryLimit: 10, retryDelay: 2, retryBackoff: true });
}

/** Sends webhook jobs through a pg-boss the caller runs. */
export class WebhookQueue {
  private readonly boss: PgBoss;
  private readonly ready: Promise<void>;

  constructor(boss: PgBoss, ready: Promise<void> = Promise.resolve()) {
    this.boss = boss;
    this.ready = ready;
  }

  /**
   * Sends delivery attempts through the caller's transaction: they exist exactly when their rows
   * do. Those due now are announced on WEBHOOK_READY_CHANNEL once it commits (distinct payloads:
   * Postgres folds identical notifications of one transaction into one).
   */
  async sendDeliveries(client: PoolClient, jobs: Array<WebhookDeliveryJob & { startAfter?: Date }>): Promise<void> {
    if (jobs.length === 0) return;
    await this.ready;
    await this.boss.insert(
      WEBHOOK_DELIVERY_QUEUE,
      jobs.map(({ startAfter, ...data }) => ({ data, ...(startAfter ? { startAfter } : {}) })),
      { db: { executeSql: (text, values) => client.query(text, values as unknown[]) } },
    );
    const dueNow = jobs.filter((j) => !j.startAfter || j.startAfter.getTime() <= Date.now()).length;
    if (dueNow > 0) {
      await client.query(`SELECT pg_notify('${WEBHOOK_READY_CHANNEL}', g::text) FROM generate_series(1, $1::int) g`, [
        Math.min(dueNow, WAKE_AT_MOST),
      ]);
    }
  }

  /** Asks for a fan-out of the tenant's new events (coalesces with one already queued). */
  async wakeFanOut(tenantId: string, startAfterSeconds?: number): Promise<void> {
    await this.ready;
    await this.boss.send(
      WEBHOOK_FAN_OUT_QUEUE,
      { tenantId },
      { singletonKey: tenantId, ...(startAfterSeconds ? { startAfter: startAfterSeconds } : {}) },
    );
  }
}
