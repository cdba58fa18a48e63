import { fileURLToPath } from 'node:url';

export const controlMigrationsDir = fileURLToPath(new URL('../../../migrations/control', import.meta.url));
export const tenantMigrationsDir = fileURLToPath(new URL('../../../migrations/tenant', import.meta.url));
