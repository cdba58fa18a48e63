export { createTestDatabase, superuserClient, type TestDatabase } from './database.ts';
export { captureLogs, testkitLogger, type LogRecord } from './logger.ts';
export { freePort } from '@warren/db';
export { openTurn } from './running-turn.ts';
export { startModelStack, TEST_PLATFORM_KEY, TEST_TOKEN_SECRET, type ModelStack } from './model-stack.ts';
export { startCrashablePostgres, type CrashablePostgres } from './crashable-postgres.ts';
