export { createTestDatabase, superuserClient, type TestDatabase } from './database.ts';
export { freePort } from '@warren/db';
