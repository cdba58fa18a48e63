import { AppError, newId, notFound } from '@warren/core';
import { asAppRole, type TenantTx, tenantSchema } from '@warren/db';
import type { TaskFields } from '@warren/ipc';
import type { TurnQueue } from '@warren/queue';
import { abandonTaskTurn } from '@warren/turns';
import { checkSchedule, nextRunAfter, planRun, type Schedule, ScheduleError } from './schedule.ts';

// The task and task-run state machine: every statement that moves a task or records a run lives
// here. A task goes
//
//   active ──pause──▶ paused ──resume──▶ active      active ──last time passed──▶ completed
//   active | paused ──cancel──▶ cancelled
//
// and `next_run_at` is the one run a queued job may fire. Each change that sets it sends that
// run's deferred job in the same transaction; a job for any other time (the task was paused,
// rescheduled, or the run already recorded) is stale and does nothing. A run is a row keyed by
// (task, scheduled_for), inserted once with the next run's job.

const [ACTIVE, PAUSED, CANCELLED, COMPLETED] = tenantSchema.taskStatuses;
export type TaskStatus = (typeof tenantSchema.taskStatuses)[number];
export type TaskRunStatus = (typeof tenantSchema.taskRunOutcomes)[number];

export interface TaskLimits {
  maxActiveTasks: number;
  minIntervalSeconds: number;
}

/** For tenants without limits of their own (ops set them per tenant: maxActiveTasks, taskMinIntervalSeconds). */
export const DEFAULT_TASK_LIMITS: TaskLimits = { maxActiveTasks: 100, minIntervalSeconds: 60 };

export interface Task {
  id: string;
  conversationId: string;
  prompt: string;
  schedule: TaskFields['schedule'];
  precheckScript: string | null;
  context: 'conversation' | 'isolated';
  missedPolicy: 'skip' | 'run-once';
  status: TaskStatus;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  createdAt: Date;
}

interface TaskRow {
  id: string;
  conversation_id: string;
  prompt: string;
  schedule_kind: 'cron' | 'interval' | 'once';
  schedule_value: string;
  timezone: string;
  anchor_at: Date;
  precheck_script: string | null;
  context: Task['context'];
  missed_policy: Task['missedPolicy'];
  status: TaskStatus;
  next_run_at: Date | null;
  last_run_at: Date | null;
  created_at: Date;
}

const TASK_COLUMNS = `id, conversation_id, prompt, schedule_kind, schedule_value, timezone, anchor_at, precheck_script, context,
  missed_policy, status, next_run_at, last_run_at, created_at`;

function toTask(row: TaskRow): Task {
  const schedule: TaskFields['schedule'] =
    row.schedule_kind === 'cron'
      ? { kind: 'cron', value: row.schedule_value, timezone: row.timezone }
      : { kind: row.schedule_kind, value: row.schedule_value };
  return {
    id: row.id,
    conversationId: row.conversation_id,
    prompt: row.prompt,
    schedule,
    precheckScript: row.precheck_script,
    context: row.context,
    missedPolicy: row.missed_policy,
    status: row.status,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    createdAt: row.created_at,
  };
}

function scheduleOf(row: Pick<TaskRow, 'schedule_kind' | 'schedule_value' | 'timezone' | 'anchor_at'>): Schedule {
  if (row.schedule_kind === 'cron') return { kind: 'cron', value: row.schedule_value, timezone: row.timezone };
  if (row.schedule_kind === 'interval') return { kind: 'interval', value: row.schedule_value, anchor: row.anchor_at };
  return { kind: 'once', value: row.schedule_value };
}

function checked(schedule: Schedule, now: Date, limits: TaskLimits): Date {
  try {
    return checkSchedule(schedule, now, limits.minIntervalSeconds * 1000);
  } catch (err) {
    // named like a request validation's errors, so a form shows the refusal at its field
    if (err instanceof ScheduleError) {
      throw new AppError('validation', err.message, { errors: [{ in: 'body', path: `schedule.${err.field}`, message: err.message }] });
    }
    throw err;
  }
}

/** Sends the deferred job of the task's run at `at`, in the caller's transaction. */
function sendRun(tx: TenantTx, queue: TurnQueue, row: Pick<TaskRow, 'id' | 'conversation_id'>, at: Date): Promise<string | null> {
  return asAppRole(tx, () =>
    queue.scheduleRun(tx.client, {
      tenantId: tx.tenantId,
      conversationId: row.conversation_id,
      kind: 'task',
      taskId: row.id,
      scheduledFor: at.toISOString(),
    }),
  );
}

/** Refuses one more active task past the tenant's quota; serialized per tenant like the turn slots. */
async function checkActiveQuota(tx: TenantTx, limits: TaskLimits): Promise<void> {
  await tx.client.query(`SELECT pg_advisory_xact_lock(hashtextextended('warren.active-tasks.' || current_schema(), 0))`);
  const { rows } = await tx.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE status = $1`, [ACTIVE]);
  if (rows[0]!.n >= limits.maxActiveTasks) {
    throw new AppError('task_quota_exceeded', `a tenant may hold at most ${limits.maxActiveTasks} active tasks`, {
      quota: 'maxActiveTasks',
      limit: limits.maxActiveTasks,
    });
  }
}

// ---- tasks

export async function createTask(
  tx: TenantTx,
  queue: TurnQueue,
  conversationId: string,
  fields: TaskFields,
  limits: TaskLimits,
  now = new Date(),
): Promise<Task> {
  const { rowCount } = await tx.client.query('SELECT 1 FROM conversations WHERE id = $1', [conversationId]);
  if (rowCount === 0) throw notFound('conversation');
  await checkActiveQuota(tx, limits);
  const timezone = fields.schedule.kind === 'cron' ? (fields.schedule.timezone ?? 'UTC') : 'UTC';
  const stored = { schedule_kind: fields.schedule.kind, schedule_value: fields.schedule.value, timezone, anchor_at: now };
  const first = checked(scheduleOf(stored), now, limits);
  const { rows } = await tx.client.query<TaskRow>(
    `INSERT INTO tasks (id, conversation_id, prompt, schedule_kind, schedule_value, timezone, anchor_at, precheck_script, context, missed_policy, next_run_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${TASK_COLUMNS}`,
    [
      newId('task'),
      conversationId,
      fields.prompt,
      stored.schedule_kind,
      stored.schedule_value,
      timezone,
      now,
      fields.precheckScript ?? null,
      fields.context ?? 'conversation',
      fields.missedPolicy ?? 'skip',
      first,
    ],
  );
  const row = rows[0]!;
  await sendRun(tx, queue, row, first);
  return toTask(row);
}

export async function listTasks(tx: TenantTx, filter: { conversationId?: string } = {}): Promise<Task[]> {
  const { rows } = await tx.client.query<TaskRow>(
    `SELECT ${TASK_COLUMNS} FROM tasks WHERE ($1::text IS NULL OR conversation_id = $1) AND status <> $2 ORDER BY created_at, id LIMIT 1000`,
    [filter.conversationId ?? null, CANCELLED],
  );
  return rows.map(toTask);
}

/** The task, locked for a change; `conversationId` scopes it (a sandbox may touch its own only). */
async function lockTask(tx: TenantTx, taskId: string, conversationId?: string): Promise<TaskRow> {
  const { rows } = await tx.client.query<TaskRow>(
    `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 AND ($2::text IS NULL OR conversation_id = $2) FOR UPDATE`,
    [taskId, conversationId ?? null],
  );
  if (!rows[0]) throw notFound('task');
  return rows[0];
}

export async function getTask(tx: TenantTx, taskId: string): Promise<Task> {
  const { rows } = await tx.client.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1`, [taskId]);
  if (!rows[0]) throw notFound('task');
  return toTask(rows[0]);
}

/** Writes the task's status and next run, and sends that run's job when there is one. */
async function moveTask(tx: TenantTx, queue: TurnQueue, row: TaskRow, status: TaskStatus, next: Date | null): Promise<Task> {
  const { rows } = await tx.client.query<TaskRow>(
    `UPDATE tasks SET status = $2, next_run_at = $3, updated_at = now() WHERE id = $1 RETURNING ${TASK_COLUMNS}`,
    [row.id, status, next],
  );
  if (next) await sendRun(tx, queue, row, next);
  return toTask(rows[0]!);
}

export async function pauseTask(tx: TenantTx, queue: TurnQueue, taskId: string, conversationId?: string): Promise<Task> {
  const row = await lockTask(tx, taskId, conversationId);
  if (row.status !== ACTIVE && row.status !== PAUSED) throw new AppError('conflict', `the task is ${row.status}`);
  return moveTask(tx, queue, row, PAUSED, null);
}

/** Resumes from the schedule's first time after now: runs that fell in the pause are not made up. */
export async function resumeTask(
  tx: TenantTx,
  queue: TurnQueue,
  taskId: string,
  limits: TaskLimits,
  conversationId?: string,
  now = new Date(),
): Promise<Task> {
  const row = await lockTask(tx, taskId, conversationId);
  if (row.status === ACTIVE) return toTask(row);
  if (row.status !== PAUSED) throw new AppError('conflict', `the task is ${row.status}`);
  await checkActiveQuota(tx, limits);
  const next = nextRunAfter(scheduleOf(row), now);
  return moveTask(tx, queue, row, next ? ACTIVE : COMPLETED, next);
}

export async function cancelTask(tx: TenantTx, queue: TurnQueue, taskId: string, conversationId?: string): Promise<Task> {
  const row = await lockTask(tx, taskId, conversationId);
  return moveTask(tx, queue, row, CANCELLED, null);
}

/** Changes a task's fields; a new schedule starts afresh from now (an interval is re-anchored). */
export async function updateTask(
  tx: TenantTx,
  queue: TurnQueue,
  taskId: string,
  fields: Partial<TaskFields>,
  limits: TaskLimits,
  conversationId?: string,
  now = new Date(),
): Promise<Task> {
  const row = await lockTask(tx, taskId, conversationId);
  if (row.status === CANCELLED || row.status === COMPLETED) throw new AppError('conflict', `the task is ${row.status}`);
  if (fields.schedule) {
    row.schedule_kind = fields.schedule.kind;
    row.schedule_value = fields.schedule.value;
    row.timezone = fields.schedule.kind === 'cron' ? (fields.schedule.timezone ?? 'UTC') : 'UTC';
    row.anchor_at = now;
  }
  const next = fields.schedule ? checked(scheduleOf(row), now, limits) : row.next_run_at;
  await tx.client.query(
    `UPDATE tasks SET prompt = $2, schedule_kind = $3, schedule_value = $4, timezone = $5, anchor_at = $6, precheck_script = $7,
            context = $8, missed_policy = $9, updated_at = now() WHERE id = $1`,
    [
      row.id,
      fields.prompt ?? row.prompt,
      row.schedule_kind,
      row.schedule_value,
      row.timezone,
      row.anchor_at,
      fields.precheckScript === undefined ? row.precheck_script : fields.precheckScript,
      fields.context ?? row.context,
      fields.missedPolicy ?? row.missed_policy,
    ],
  );
  if (!fields.schedule) return getTask(tx, row.id);
  return moveTask(tx, queue, row, row.status, row.status === ACTIVE ? next : null);
}

// ---- runs

/** A run the job should go on with: its turn runs (or, redelivered, resumes). */
export interface StartedRun {
  runId: string;
  task: Task;
  scheduledFor: Date;
}

export type RunStart = { state: 'run'; run: StartedRun } | { state: 'recorded' } | { state: 'stale' };

/**
 * The run of `scheduledFor` arrives (its job, maybe again). The first arrival records the run
 * once — to run, or as missed after downtime (see planRun) — and sends the next run's job in the
 * same transaction; a later arrival of the same run goes on with it only while it is unfinished
 * (its worker died), and does nothing once it is recorded. A job for a time the task no longer
 * has is stale.
 */
export async function startRun(
  tx: TenantTx,
  queue: TurnQueue,
  taskId: string,
  scheduledFor: Date,
  missedAfterMs: number,
  now = new Date(),
): Promise<RunStart> {
  const { rows: taskRows } = await tx.client.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 FOR UPDATE`, [taskId]);
  const row = taskRows[0];
  if (!row) return { state: 'stale' };
  const { rows: runs } = await tx.client.query<{ id: string; finished_at: Date | null }>(
    'SELECT id, finished_at FROM task_runs WHERE task_id = $1 AND scheduled_for = $2',
    [taskId, scheduledFor],
  );
  const existing = runs[0];
  if (existing)
    return existing.finished_at ? { state: 'recorded' } : { state: 'run', run: { runId: existing.id, task: toTask(row), scheduledFor } };
  if (row.status !== ACTIVE || row.next_run_at?.getTime() !== scheduledFor.getTime()) return { state: 'stale' };

  const plan = planRun(scheduleOf(row), row.missed_policy, scheduledFor, now, missedAfterMs);
  const runId = newId('taskRun');
  await tx.client.query(
    `INSERT INTO task_runs (id, task_id, scheduled_for, status, reason, finished_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    plan.fire
      ? [runId, taskId, scheduledFor, 'running', plan.missed ? 'missed during downtime; run once (run-once)' : null, null]
      : [runId, taskId, scheduledFor, 'missed', 'missed during downtime; skipped (skip)', now],
  );
  await tx.client.query('UPDATE tasks SET last_run_at = $2, updated_at = now() WHERE id = $1', [taskId, scheduledFor]);
  const task = await moveTask(tx, queue, row, plan.next ? ACTIVE : COMPLETED, plan.next);
  return plan.fire ? { state: 'run', run: { runId, task, scheduledFor } } : { state: 'recorded' };
}

/**
 * A run now, outside the schedule (the API's "run"): recorded at once with its job, so its job
 * arrives to find it unfinished and runs it; the schedule's own next run is left as it was.
 */
export async function runTaskNow(
  tx: TenantTx,
  queue: TurnQueue,
  taskId: string,
  now = new Date(),
): Promise<{ runId: string; scheduledFor: Date }> {
  const row = await lockTask(tx, taskId);
  if (row.status === CANCELLED) throw new AppError('conflict', 'the task is cancelled');
  const runId = newId('taskRun');
  await tx.client.query(`INSERT INTO task_runs (id, task_id, scheduled_for, reason) VALUES ($1, $2, $3, 'run on request')`, [
    runId,
    taskId,
    now,
  ]);
  await sendRun(tx, queue, row, now);
  return { runId, scheduledFor: now };
}

/** Records how a run ended; once: a run already finished is left as it was. */
export async function finishRun(
  tx: TenantTx,
  runId: string,
  end: { status: Exclude<TaskRunStatus, 'running'>; reason?: string | null; turnId?: string | null },
): Promise<void> {
  await tx.client.query(
    `UPDATE task_runs SET status = $2, reason = coalesce($3, reason), turn_id = coalesce($4, turn_id), finished_at = now()
      WHERE id = $1 AND finished_at IS NULL`,
    [runId, end.status, end.reason ?? null, end.turnId ?? null],
  );
}

/**
 * The queue gave up on a run's job: the run, if still unfinished, is recorded failed with its
 * turn — unless a live worker still runs that turn ('live': look again later).
 */
export async function abandonRun(tx: TenantTx, taskId: string, scheduledFor: Date): Promise<'closed' | 'live' | 'none'> {
  const { rows } = await tx.client.query<{ id: string }>(
    'SELECT id FROM task_runs WHERE task_id = $1 AND scheduled_for = $2 AND finished_at IS NULL FOR UPDATE',
    [taskId, scheduledFor],
  );
  const run = rows[0];
  if (!run) return 'none';
  if ((await abandonTaskTurn(tx, run.id)) === 'live') return 'live';
  await finishRun(tx, run.id, { status: 'failed', reason: 'dead_lettered: the queue gave up on this run' });
  return 'closed';
}

export interface TaskRun {
  id: string;
  scheduledFor: Date;
  status: TaskRunStatus;
  reason: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  turnId: string | null;
  usage: { inputTokens: number; outputTokens: number } | null;
}

export async function listRuns(tx: TenantTx, taskId: string, limit = 100): Promise<TaskRun[]> {
  await getTask(tx, taskId);
  const { rows } = await tx.client.query<{
    id: string;
    scheduled_for: Date;
    status: TaskRunStatus;
    reason: string | null;
    started_at: Date;
    finished_at: Date | null;
    turn_id: string | null;
    usage: TaskRun['usage'];
  }>(
    `SELECT r.id, r.scheduled_for, r.status, r.reason, r.started_at, r.finished_at, r.turn_id, t.usage
       FROM task_runs r LEFT JOIN turns t ON t.id = r.turn_id
      WHERE r.task_id = $1 ORDER BY r.scheduled_for DESC LIMIT $2`,
    [taskId, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    scheduledFor: r.scheduled_for,
    status: r.status,
    reason: r.reason,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    turnId: r.turn_id,
    usage: r.usage,
  }));
}
