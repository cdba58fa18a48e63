import { idSchema, text } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import type { TurnQueue } from '@warren/queue';
import {
  cancelTask,
  createTask,
  getTask,
  listRuns,
  listTasks,
  pauseTask,
  resumeTask,
  runTaskNow,
  type Task,
  type TaskLimits,
  type TaskRun,
  updateTask,
} from '@warren/tasks';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

// Scheduled tasks: thin routes over packages/tasks, every one in the caller's tenant.

const schedule = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('cron'),
    value: text().min(1).max(100).describe('A cron expression ("0 9 * * 1"), five or six fields.'),
    timezone: text().min(1).max(64).optional().describe('The IANA zone it is read in (default UTC); DST is followed.'),
  }),
  z.strictObject({
    kind: z.literal('interval'),
    value: z
      .string()
      .regex(/^\d{1,9}(s|m|h|d)$/)
      .describe('"30m": runs every interval, counted from when the task was created or rescheduled.'),
  }),
  z.strictObject({ kind: z.literal('once'), value: z.iso.datetime({ offset: true }).describe('The time it runs.') }),
]);

const fields = {
  prompt: text().min(1).max(20_000),
  schedule,
  precheckScript: text()
    .min(1)
    .max(20_000)
    .nullable()
    .optional()
    .describe('Bash run in the conversation’s sandbox first; only a last stdout line {"wakeAgent": true, "data"?: …} runs the turn.'),
  context: z.enum(['conversation', 'isolated']).optional().describe('conversation (default): with its history; isolated: fresh history.'),
  missedPolicy: z.enum(['skip', 'run-once']).optional().describe('After downtime: skip the missed run (default), or run it once.'),
};

const taskSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  prompt: z.string(),
  schedule: z.object({ kind: z.enum(['cron', 'interval', 'once']), value: z.string(), timezone: z.string().optional() }),
  precheckScript: z.string().nullable(),
  context: z.enum(['conversation', 'isolated']),
  missedPolicy: z.enum(['skip', 'run-once']),
  status: z.enum(['active', 'paused', 'cancelled', 'completed']),
  nextRunAt: z.iso.datetime().nullable(),
  lastRunAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});

const toTask = (t: Task): z.infer<typeof taskSchema> => ({
  ...t,
  nextRunAt: t.nextRunAt?.toISOString() ?? null,
  lastRunAt: t.lastRunAt?.toISOString() ?? null,
  createdAt: t.createdAt.toISOString(),
});

const runSchema = z.object({
  id: z.string(),
  scheduledFor: z.iso.datetime(),
  status: z.enum(['running', 'succeeded', 'failed', 'skipped', 'precheck_failed', 'missed']),
  reason: z.string().nullable(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  turnId: z.string().nullable().describe('The turn the run produced (see /v1/turns/{id}).'),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }).nullable(),
});

const toRun = (r: TaskRun): z.infer<typeof runSchema> => ({
  ...r,
  scheduledFor: r.scheduledFor.toISOString(),
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null,
});

const idParams = z.strictObject({ id: idSchema('task') });

export const taskRoutes: FastifyPluginAsyncZod<{ pool: Pool; turnQueue: TurnQueue; defaultLimits: TaskLimits }> = async (
  app,
  { pool, turnQueue, defaultLimits },
) => {
  const tags = ['tasks'];
  const limitsOf = (request: { tenantTaskLimits: Partial<Record<keyof TaskLimits, number | null>> | null }): TaskLimits => ({
    maxActiveTasks: request.tenantTaskLimits?.maxActiveTasks ?? defaultLimits.maxActiveTasks,
    minIntervalSeconds: request.tenantTaskLimits?.minIntervalSeconds ?? defaultLimits.minIntervalSeconds,
  });

  app.post(
    '/v1/tasks',
    {
      schema: {
        tags,
        summary: 'Schedule a task in a conversation',
        description: `At most the tenant's quota of active tasks (maxActiveTasks, by default ${defaultLimits.maxActiveTasks}; beyond it 409 task-quota-exceeded), and runs at least taskMinIntervalSeconds apart (default ${defaultLimits.minIntervalSeconds}).`,
        body: z.strictObject({ conversationId: idSchema('conversation'), ...fields }),
        response: { 201: taskSchema },
      },
    },
    async (request, reply) => {
      const { conversationId, ...input } = request.body;
      const task = await withTenant(pool, request.tenantId, (tx) => createTask(tx, turnQueue, conversationId, input, limitsOf(request)));
      return reply.status(201).send(toTask(task));
    },
  );

  app.get(
    '/v1/tasks',
    {
      schema: {
        tags,
        summary: 'The tenant’s tasks that are not cancelled, oldest first (at most 1000)',
        querystring: z.strictObject({ conversationId: idSchema('conversation').optional() }),
        response: { 200: z.object({ data: z.array(taskSchema) }) },
      },
    },
    async (request) => {
      const { conversationId } = request.query;
      const tasks = await withTenant(pool, request.tenantId, (tx) => listTasks(tx, conversationId ? { conversationId } : {}));
      return { data: tasks.map(toTask) };
    },
  );

  app.get('/v1/tasks/:id', { schema: { tags, summary: 'One task', params: idParams, response: { 200: taskSchema } } }, async (request) =>
    toTask(await withTenant(pool, request.tenantId, (tx) => getTask(tx, request.params.id))),
  );

  app.patch(
    '/v1/tasks/:id',
    {
      schema: {
        tags,
        summary: 'Change a task; a new schedule starts afresh from now',
        params: idParams,
        body: z.strictObject(fields).partial(),
        response: { 200: taskSchema },
      },
    },
    async (request) =>
      toTask(
        await withTenant(pool, request.tenantId, (tx) => updateTask(tx, turnQueue, request.params.id, request.body, limitsOf(request))),
      ),
  );

  app.delete(
    '/v1/tasks/:id',
    { schema: { tags, summary: 'Cancel a task for good', params: idParams, response: { 200: taskSchema } } },
    async (request) => toTask(await withTenant(pool, request.tenantId, (tx) => cancelTask(tx, turnQueue, request.params.id))),
  );

  app.post(
    '/v1/tasks/:id/pause',
    { schema: { tags, summary: 'Pause a task', params: idParams, response: { 200: taskSchema } } },
    async (request) => toTask(await withTenant(pool, request.tenantId, (tx) => pauseTask(tx, turnQueue, request.params.id))),
  );

  app.post(
    '/v1/tasks/:id/resume',
    { schema: { tags, summary: 'Resume a paused task from its next time', params: idParams, response: { 200: taskSchema } } },
    async (request) =>
      toTask(await withTenant(pool, request.tenantId, (tx) => resumeTask(tx, turnQueue, request.params.id, limitsOf(request)))),
  );

  app.post(
    '/v1/tasks/:id/run',
    {
      schema: {
        tags,
        summary: 'Run a task now, outside its schedule',
        params: idParams,
        response: { 202: z.object({ runId: z.string(), scheduledFor: z.iso.datetime() }) },
      },
    },
    async (request, reply) => {
      const run = await withTenant(pool, request.tenantId, (tx) => runTaskNow(tx, turnQueue, request.params.id));
      return reply.status(202).send({ runId: run.runId, scheduledFor: run.scheduledFor.toISOString() });
    },
  );

  app.get(
    '/v1/tasks/:id/runs',
    {
      schema: {
        tags,
        summary: "A task's runs, newest first (at most 100)",
        params: idParams,
        response: { 200: z.object({ data: z.array(runSchema) }) },
      },
    },
    async (request) => ({ data: (await withTenant(pool, request.tenantId, (tx) => listRuns(tx, request.params.id))).map(toRun) }),
  );
};
