import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/control.ts',
  out: '../../migrations/control',
  schemaFilter: ['control'],
});
