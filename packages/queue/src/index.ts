export { installQueue } from './boss.ts';
export { logBossErrors } from './boss-errors.ts';
export { type FetchLoopOptions, startFetchLoops } from './fetch-loops.ts';
export { type QueueStats, queueStats } from './queue-stats.ts';
export { createRetentionQueue, RETENTION_QUEUE } from './retention-queue.ts';
export { QUEUE_SCHEMA } from './schema.ts';
export { startBoss } from './start-boss.ts';
export {
  createTurnQueues,
  MAX_TENANT_TURN_CAP,
  type TaskRunJob,
  TURN_DEAD_LETTER_QUEUE,
  TURN_MAX_ATTEMPTS,
  TURN_QUEUE,
  TURN_READY_CHANNEL,
  type TurnJob,
  TurnQueue,
  turnJobSchema,
} from './turn-queue.ts';
export {
  createWebhookQueues,
  WEBHOOK_DELIVERY_QUEUE,
  WEBHOOK_FAN_OUT_QUEUE,
  WEBHOOK_READY_CHANNEL,
  type WebhookDeliveryJob,
  WebhookQueue,
  webhookDeliveryJobSchema,
  webhookFanOutJobSchema,
} from './webhook-queue.ts';
