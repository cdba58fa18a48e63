import type { Logger } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import {
  WEBHOOK_DELIVERY_QUEUE,
  WEBHOOK_FAN_OUT_QUEUE,
  WebhookQueue,
  webhookDeliveryJobSchema,
  webhookFanOutJobSchema,
} from '@warren/queue';
import type { TenantTurnSettings } from '@warren/tenancy';
import { type DeliverySettings, FanOutTrigger, fanOut, runDeliveryJob } from '@warren/webhooks';
import type { PgBoss } from 'pg-boss';

/** A fan-out that found an event committed but not yet final looks again this soon. */
const NOT_FINAL_RETRY_SECONDS = 1;

/**
 * Outbound webhooks on this worker: the trigger that turns event NOTIFYs into fan-out jobs, the
 * fan-out consumer (events → deliveries), and `concurrency` delivery attempts at once. Each wakes
 * the next step's local loop when it has made work for it, so a delivery does not wait out a poll.
 */
export async function consumeWebhooks(
  boss: PgBoss,
  deps: { pool: Pool; tenants: TenantTurnSettings; logger: Logger },
  options: { concurrency: number; settings: DeliverySettings },
): Promise<{ close(): Promise<void> }> {
  const { pool, tenants, logger } = deps;
  const queue = new WebhookQueue(boss);
  const tenantExists = async (tenantId: string) => (await tenants.get(tenantId)) !== null;

  const deliveryLoop = await boss.work(
    WEBHOOK_DELIVERY_QUEUE,
    { localConcurrency: options.concurrency, pollingIntervalSeconds: 1 },
    async ([job]) => {
      if (!job) return;
      const data = webhookDeliveryJobSchema.parse(job.data);
      if (!(await tenantExists(data.tenantId))) return; // a deleted tenant's deliveries went with its schema
      await runDeliveryJob({ pool, queue, settings: options.settings, logger }, data);
    },
  );
  const fanOutLoop = await boss.work(WEBHOOK_FAN_OUT_QUEUE, { pollingIntervalSeconds: 2 }, async ([job]) => {
    if (!job) return;
    const { tenantId } = webhookFanOutJobSchema.parse(job.data);
    if (!(await tenantExists(tenantId))) return;
    const { deliveries, more } = await withTenant(pool, tenantId, (tx) => fanOut(tx, queue));
    if (deliveries > 0) boss.notifyWorker(deliveryLoop);
    if (more) await queue.wakeFanOut(tenantId, more === 'soon' ? NOT_FINAL_RETRY_SECONDS : undefined);
  });
  const trigger = new FanOutTrigger({ pool, queue, logger, onWake: () => boss.notifyWorker(fanOutLoop) });
  await trigger.start();
  return { close: () => trigger.close() };
}
