import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the API under /dashboard/ (see apps/api/src/plugins/dashboard-static.ts).
export default defineConfig({
  base: '/dashboard/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
});
