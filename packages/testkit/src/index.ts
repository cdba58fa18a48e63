export { createTestDatabase, superuserClient, type TestDatabase } from './database.ts';
export { freePort } from './global-setup.ts';
