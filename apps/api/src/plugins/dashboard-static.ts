import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The dashboard's built files under /dashboard: hashed assets as they are, every other path
 * the single page (its router decides). Without a build, says how to make one.
 */
export async function serveDashboard(app: FastifyInstance, dir: string | undefined): Promise<void> {
  if (!dir || !existsSync(join(dir, 'index.html'))) {
    app.log.info({ dir }, 'no dashboard build found: /dashboard is not served (build it with `pnpm --filter @warren/dashboard build`)');
    return;
  }
  await app.register(fastifyStatic, { root: join(dir, 'assets'), prefix: '/dashboard/assets/', immutable: true, maxAge: '365d' });
  const page = { schema: { hide: true } };
  // The router ignores trailing slashes: /dashboard and /dashboard/ are one route.
  for (const path of ['/dashboard', '/dashboard/*']) {
    app.get(path, page, (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html', dir));
  }
  app.log.info({ dir }, 'dashboard served at /dashboard/');
}
