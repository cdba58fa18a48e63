import type { Logger } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import {
  startFetchLoops,
  WEBHOOK_DELIVERY_QUEUE,
  WEBHOOK_FAN_OUT_QUEUE,
  WEBHOOK_READY_CHANNEL,
  WebhookQueue,
  webhookDeliveryJobSchema,
  webhookFanOutJobSchema,
} from '@warren/queue';
import type { TenantTurnSettings } from '@warren/tenancy';
import { type DeliveryDeps, type DeliverySettings, FanOutTrigger, fanOut, runDeliveryJob } from '@warren/webhooks';
import type { PgBoss } from 'pg-boss';

/** A fan-out that found an event committed but not yet final looks again this soon. */
const NOT_FINAL_RETRY_SECONDS = 1;
/** Tenants fanned out at once by this worker. */
const FAN_OUT_LOOPS = 2;

/**
 * Outbound webhooks on this worker: the trigger that turns event NOTIFYs into fan-out jobs, the
 * fan-out loops (events → deliveries), and `concurrency` delivery loops. Loops are woken as turn
 * loops are (see startFetchLoops): the trigger wakes a local fan-out loop, and a transaction that
 * sends attempts due now NOTIFYs the delivery loops of every worker.
 */
export async function consumeWebhooks(
  boss: PgBoss,
  deps: { pool: Pool; tenants: TenantTurnSettings; logger: Logger },
  options: { concurrency: number; settings: DeliverySettings; onAttempt?: DeliveryDeps['onAttempt'] },
): Promise<{ close(): Promise<void> }> {
  const { pool, tenants, logger } = deps;
  const queue = new WebhookQueue(boss);
  const tenantExists = async (tenantId: string) => (await tenants.get(tenantId)) !== null;

  const deliveries = await startFetchLoops(
    boss,
    { queue: WEBHOOK_DELIVERY_QUEUE, concurrency: options.concurrency, channel: WEBHOOK_READY_CHANNEL, pool, pollSeconds: 1, logger },
    async (job) => {
      const data = webhookDeliveryJobSchema.parse(job.data);
      if (!(await tenantExists(data.tenantId))) return; // a deleted tenant's deliveries went with its schema
      await runDeliveryJob({ pool, queue, settings: options.settings, logger, onAttempt: options.onAttempt }, data);
    },
  );
  const fanOuts = await startFetchLoops(
    boss,
    { queue: WEBHOOK_FAN_OUT_QUEUE, concurrency: FAN_OUT_LOOPS, pool, pollSeconds: 2, logger },
    async (job) => {
      const { tenantId } = webhookFanOutJobSchema.parse(job.data);
      if (!(await tenantExists(tenantId))) return;
      const { more } = await withTenant(pool, tenantId, (tx) => fanOut(tx, queue));
      if (more) await queue.wakeFanOut(tenantId, more === 'soon' ? NOT_FINAL_RETRY_SECONDS : undefined);
    },
  );
  const trigger = new FanOutTrigger({ pool, queue, logger, onWake: fanOuts.wake });
  await trigger.start();
  return {
    async close() {
      await trigger.close();
      await fanOuts.close();
      await deliveries.close();
    },
  };
}
