import type { Pool } from '@warren/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendProblem } from '../plugins/problems.ts';

export const healthRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  const ok = z.object({ status: z.literal('ok') });
  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is up', response: { 200: ok } } }, async () => ({
    status: 'ok' as const,
  }));
  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'The process can serve: the database answers', response: { 200: ok } } },
    async (request, reply) => {
      try {
        await pool.query('SELECT 1');
        return { status: 'ok' as const };
      } catch {
        return sendProblem(reply, request, 'unavailable', 'database unreachable');
      }
    },
  );
};
