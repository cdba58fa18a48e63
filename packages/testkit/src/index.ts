export { freePort } from '@warren/db';
export { type CrashablePostgres, startCrashablePostgres } from './crashable-postgres.ts';
export { createTestDatabase, superuserClient, type TestDatabase } from './database.ts';
export { captureLogs, type LogRecord, testkitLogger } from './logger.ts';
export { type ModelStack, startModelStack, TEST_PLATFORM_KEY, TEST_TOKEN_SECRET } from './model-stack.ts';
export { openTurn } from './running-turn.ts';
export { type EventStreamClient, openEventStream, type StreamedEvent } from './sse-client.ts';
export { skillMd, type TarEntry, tarOf } from './tar.ts';
