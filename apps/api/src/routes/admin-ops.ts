import { AppError, idSchema, notFound } from '@warren/core';
import { asAppRole, listTenantIds, liveWorkers, loadTenantMigrations, type Pool, tenantsBehind, withTenant } from '@warren/db';
import { queueStats, type TurnQueue } from '@warren/queue';
import { getTenant } from '@warren/tenancy';
import { getTurn, listDeadTurns, redriveTurn } from '@warren/turns';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toTurn, turnSchema } from '../schemas.ts';

/** A worker that has not written its heartbeat for this long counts as gone. */
const WORKER_SEEN_SECONDS = 30;
/** Tenant schemas read at once when listing dead-lettered turns. */
const TENANTS_AT_ONCE = 4;

const queueSchema = z.object({ name: z.string(), queued: z.number().int(), active: z.number().int(), oldestQueuedSeconds: z.number() });
const deadTurnSchema = turnSchema.extend({ tenantId: z.string() });
const workerSchema = z.object({
  id: z.string(),
  host: z.string(),
  startedAt: z.iso.datetime(),
  lastSeen: z.iso.datetime(),
  sandboxesLive: z.number(),
});

/** Ops plane: what the ops console shows of the queues, failed turns, migrations and workers. */
export const adminOpsRoutes: FastifyPluginAsyncZod<{ pool: Pool; turnQueue: TurnQueue }> = async (app, { pool, turnQueue }) => {
  const tags = ['admin'];
  const security = [{ opsToken: [] }];
  const db = app.controlDb;
  const tenantVersions = loadTenantMigrations().map((m) => m.version);

  app.get(
    '/v1/admin/queues',
    {
      schema: {
        tags,
        security,
        summary: 'Depth and oldest waiting job per queue',
        response: { 200: z.object({ data: z.array(queueSchema) }) },
      },
    },
    async () => ({ data: await queueStats(pool) }),
  );

  app.get(
    '/v1/admin/dead-turns',
    {
      schema: {
        tags,
        security,
        summary: 'Dead-lettered turns (the queue gave up on them) across tenants, most recent first',
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: { 200: z.object({ data: z.array(deadTurnSchema) }) },
      },
    },
    async (request) => {
      const { limit } = request.query;
      const ids = await listTenantIds(db);
      const found: Array<z.infer<typeof deadTurnSchema>> = [];
      // a few tenants at a time: each is a transaction of its own, and the pool serves requests too
      for (let i = 0; i < ids.length; i += TENANTS_AT_ONCE) {
        const batch = ids.slice(i, i + TENANTS_AT_ONCE);
        const turns = await Promise.all(
          batch.map((id) =>
            withTenant(pool, id, async (tx) => (await listDeadTurns(tx, limit)).map((t) => ({ ...toTurn(t), tenantId: id }))),
          ),
        );
        found.push(...turns.flat());
      }
      const data = found.sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''));
      return { data: data.slice(0, limit) };
    },
  );

  app.post(
    '/v1/admin/tenants/:id/turns/:turnId/redrive',
    {
      schema: {
        tags,
        security,
        summary: 'Send a dead-lettered turn back to the queue with fresh attempts',
        description:
          '409 when the turn is not dead-lettered, or its conversation has moved on (a later turn answered, or one is in flight).',
        params: z.strictObject({ id: idSchema('tenant'), turnId: idSchema('turn') }),
        response: { 200: turnSchema },
      },
    },
    async (request) => {
      const tenant = await getTenant(db, request.params.id);
      if (!tenant || tenant.status === 'provisioning') throw notFound('tenant');
      return withTenant(pool, tenant.id, async (tx) => {
        // a scheduled task's run is re-run from its task (POST /v1/tasks/:id/run), not as a message turn
        if ((await getTurn(tx, request.params.turnId)).kind === 'task')
          throw new AppError('conflict', "this turn is a scheduled task's run; run the task again instead");
        const { outcome, conversationId } = await redriveTurn(tx, request.params.turnId);
        if (outcome === 'not_dead_lettered') throw new AppError('conflict', 'this turn is not dead-lettered');
        if (outcome === 'moved_on') throw new AppError('conflict', 'the conversation has moved on since this turn; it cannot be re-run');
        const turn = await getTurn(tx, request.params.turnId);
        const job = { tenantId: tenant.id, conversationId, kind: 'message' as const };
        await asAppRole(tx, () => turnQueue.enqueue(tx.client, job));
        request.log.info({ turnId: turn.id, conversationId }, 'dead-lettered turn redriven');
        return toTurn(turn);
      });
    },
  );

  app.get(
    '/v1/admin/migrations',
    {
      schema: {
        tags,
        security,
        summary: 'Tenants whose schema lacks tenant migrations (run `warren migrate`)',
        response: {
          200: z.object({
            latest: z.string().nullable(),
            behind: z.array(z.object({ id: z.string(), name: z.string(), missing: z.number().int() })),
          }),
        },
      },
    },
    async () => ({ latest: tenantVersions.at(-1) ?? null, behind: await tenantsBehind(db, tenantVersions) }),
  );

  app.get(
    '/v1/admin/workers',
    {
      schema: {
        tags,
        security,
        summary: `Workers seen in the last ${WORKER_SEEN_SECONDS} s, with their live sandboxes`,
        response: { 200: z.object({ data: z.array(workerSchema) }) },
      },
    },
    async () => ({
      data: (await liveWorkers(db, WORKER_SEEN_SECONDS)).map((w) => ({
        ...w,
        startedAt: w.startedAt.toISOString(),
        lastSeen: w.lastSeen.toISOString(),
      })),
    }),
  );
};
