export { installQueue } from './boss.ts';
export { logBossErrors } from './boss-errors.ts';
export { QUEUE_SCHEMA } from './schema.ts';
export { TurnQueue, createTurnQueues, turnCapTiers, MAX_TENANT_TURN_CAP, turnJobSchema, TURN_MAX_ATTEMPTS, TURN_QUEUE, TURN_DEAD_LETTER_QUEUE, TURN_READY_CHANNEL, type TurnJob } from './turn-queue.ts';
export { startFetchLoops, type FetchLoopOptions } from './fetch-loops.ts';
export { startBoss } from './start-boss.ts';
