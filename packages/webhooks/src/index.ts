export { type DeliveryDeps, type DeliverySettings, runDeliveryJob } from './deliver.ts';
export { getDelivery, listAttempts, listDeliveries, type WebhookAttempt, type WebhookDelivery } from './deliveries.ts';
export { type AttemptTrigger, type FailurePolicy, redeliver } from './delivery-state.ts';
export { checkDestination, type DestinationPolicy, refusedAddress } from './destination.ts';
export {
  createEndpoint,
  deleteEndpoint,
  ENDPOINTS_CHANNEL,
  type EndpointSettings,
  getEndpoint,
  listEndpoints,
  rotateEndpointSecret,
  updateEndpoint,
  type WebhookEndpoint,
} from './endpoints.ts';
export { type FanOutResult, fanOut, webhookPayload } from './fan-out.ts';
export { FanOutTrigger } from './fan-out-trigger.ts';
export { DEFAULT_RETRY_SCHEDULE_SECONDS, retryScheduleSchema } from './retry-schedule.ts';
export { type AttemptOutcome, sendAttempt } from './send-attempt.ts';
export { newEndpointSecret, signedHeaders } from './signing.ts';
