import { defineConfig } from 'drizzle-kit';

// Tenant tables have no schema in drizzle; the generated SQL is applied inside each
// tenant schema by the tenant migrator (search_path set to the tenant).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/tenant.ts',
  out: '../../migrations/tenant',
});
