import type { ChildProcess } from 'node:child_process';
import { createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { QUEUE_SCHEMA, TURN_DEAD_LETTER_QUEUE, TURN_QUEUE, TurnQueue } from '@warren/queue';
import { createTask, DEFAULT_TASK_LIMITS } from '@warren/tasks';
import { provisionTenant } from '@warren/tenancy';
import { type ModelStack, startModelStack } from '@warren/testkit';
import { ingestMessage } from '@warren/turns';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, spawnWorker, stopProcess } from './helpers.ts';

// Scheduled tasks end to end: real Postgres and pg-boss, worker processes, bubblewrap sandboxes,
// the credential proxy and the fake Messages API, whose received requests are counted.

let stack: ModelStack;
let queue: TurnQueue;
let tenantId: string;
const workers: ChildProcess[] = [];

const WORKER_ENV = { QUEUE_POLL_SECONDS: '0.5', TASK_PRECHECK_TIMEOUT_MS: '1500' };
const startWorker = (name = 'sandboxes') => {
  const worker = spawnWorker(stack, name, WORKER_ENV);
  workers.push(worker);
  return worker;
};

const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(stack.db.pool, tenantId, fn);
const soon = (ms = 1500) => new Date(Date.now() + ms).toISOString();

async function conversation(): Promise<string> {
  return (await inTenant((tx) => createConversation(tx, {}))).id;
}

async function schedule(conversationId: string, prompt: string, precheckScript?: string) {
  const fields = { prompt, schedule: { kind: 'once' as const, value: soon() }, ...(precheckScript ? { precheckScript } : {}) };
  return inTenant((tx) => createTask(tx, queue, conversationId, fields, DEFAULT_TASK_LIMITS));
}

const runsOf = (taskId: string) =>
  inTenant(
    async (tx) =>
      (await tx.client.query('SELECT status, reason, turn_id, scheduled_for FROM task_runs WHERE task_id = $1', [taskId])).rows as Array<{
        status: string;
        reason: string | null;
        turn_id: string | null;
      }>,
  );

const finished = (taskId: string) =>
  eventually(
    () => runsOf(taskId),
    (runs) => runs.length > 0 && runs.every((r) => r.status !== 'running'),
  );

const replies = (conversationId: string) =>
  inTenant(
    async (tx) =>
      (
        await tx.client.query(
          `SELECT m.content, t.kind, t.attempt FROM messages m JOIN turns t ON t.id = m.turn_id WHERE m.conversation_id = $1 AND m.role = 'assistant'`,
          [conversationId],
        )
      ).rows as Array<{ content: string; kind: string; attempt: number }>,
  );

/** The model requests that carried `marker`: how many times the fake was asked about it. */
const requestsWith = (marker: string) => stack.fake.requests.filter((r) => JSON.stringify(r.body).includes(marker));

beforeAll(async () => {
  stack = await startModelStack();
  queue = await TurnQueue.start(stack.db.url, stack.logger);
  tenantId = (await provisionTenant(stack.db.pool, { name: 'tasks' })).tenant.id;
  startWorker();
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => stopProcess(w, 'SIGTERM')));
  await queue?.stop();
  await stack?.close();
});

describe('scheduled tasks', () => {
  it('the agent schedules a task with its tool, and it fires as a task turn of the conversation', async () => {
    const id = await conversation();
    const input = { prompt: 'marker-tool-fired', schedule: { kind: 'once', value: soon(4000) } };
    await inTenant((tx) => ingestMessage(tx, queue, id, { content: `#fake tool schedule_task ${JSON.stringify(input)}` }));
    const fired = await eventually(
      () => replies(id),
      (r) => r.some((m) => m.kind === 'task'),
    );
    expect(fired.filter((m) => m.kind === 'task')).toEqual([
      expect.objectContaining({ content: expect.stringContaining('marker-tool-fired') }),
    ]);
    const { rows } = await inTenant((tx) =>
      tx.client.query(`SELECT t.id, r.status FROM tasks t JOIN task_runs r ON r.task_id = t.id WHERE t.conversation_id = $1`, [id]),
    );
    expect(rows).toEqual([expect.objectContaining({ status: 'succeeded' })]);
  });

  it('a task request the sandbox forges for another conversation is refused', async () => {
    const own = await conversation();
    const victim = await conversation();
    const forged = {
      type: 'schedule_task',
      requestId: 'forged-1',
      turnId: 'turn_forged',
      tenantId,
      conversationId: victim,
      prompt: 'marker-forged',
      schedule: { kind: 'interval', value: '1h' },
    };
    const command = `printf '%s' '${JSON.stringify(forged)}' > /ipc/tasks/.forged && mv /ipc/tasks/.forged /ipc/tasks/forged-1.json && echo written`;
    await inTenant((tx) => ingestMessage(tx, queue, own, { content: `#fake tool bash ${JSON.stringify({ command })}` }));
    const [reply] = await eventually(
      () => replies(own),
      (r) => r.length > 0,
    );
    expect(reply!.content).toContain('written');
    await new Promise((r) => setTimeout(r, 2000)); // the host has read the file by now
    const { rows } = await inTenant((tx) => tx.client.query('SELECT conversation_id FROM tasks WHERE prompt = $1', ['marker-forged']));
    expect(rows).toEqual([]);
  });

  it('a pre-check that answers wakeAgent false records the run as skipped, and no request reaches the model', async () => {
    const id = await conversation();
    const task = await schedule(id, 'marker-precheck-false', `echo 'looking'; echo '{"wakeAgent": false}'`);
    expect(await finished(task.id)).toEqual([expect.objectContaining({ status: 'skipped' })]);
    expect(requestsWith('marker-precheck-false')).toHaveLength(0);
    expect(await replies(id)).toEqual([]);
  });

  it("a pre-check's data is in the model's input", async () => {
    const id = await conversation();
    const task = await schedule(id, 'marker-precheck-true', `echo '{"wakeAgent": true, "data": {"price": 4217}}'`);
    expect(await finished(task.id)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    const sent = requestsWith('marker-precheck-true');
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0]!.body)).toContain('4217');
  });

  it('a hanging pre-check is cut at its timeout; bad output and a failing exit are failed pre-checks; none wakes the model', async () => {
    const id = await conversation();
    const hanging = await schedule(id, 'marker-hang', `sleep 60; echo '{"wakeAgent": true}'`);
    const started = Date.now();
    const [run] = await finished(hanging.id);
    expect(run).toMatchObject({ status: 'precheck_failed', reason: expect.stringContaining('longer than its limit of 1500 ms') });
    expect(Date.now() - started).toBeLessThan(30_000);
    const garbled = await schedule(id, 'marker-garbled', `echo 'wakeAgent: yes'`);
    const failing = await schedule(id, 'marker-exit', `echo '{"wakeAgent": true}'; exit 3`);
    expect(await finished(garbled.id)).toEqual([
      expect.objectContaining({ status: 'precheck_failed', reason: expect.stringContaining('not JSON') }),
    ]);
    expect(await finished(failing.id)).toEqual([
      expect.objectContaining({ status: 'precheck_failed', reason: expect.stringContaining('exited with 3') }),
    ]);
    for (const marker of ['marker-hang', 'marker-garbled', 'marker-exit']) expect(requestsWith(marker)).toHaveLength(0);
  });

  it('a duplicated job: the run is recorded and answered once', async () => {
    const id = await conversation();
    const task = await schedule(id, 'marker-duplicate\n#fake sleep 1500');
    // the same run's job again, as a redelivery would bring it (outside the queue's coalescing)
    const boss = new PgBoss({ connectionString: stack.db.url, schema: QUEUE_SCHEMA, supervise: false, schedule: false, migrate: false });
    await boss.start();
    try {
      const data = { tenantId, conversationId: id, kind: 'task', taskId: task.id, scheduledFor: task.nextRunAt!.toISOString() };
      for (let i = 0; i < 2; i++) await boss.send(TURN_QUEUE, data, { startAfter: task.nextRunAt!, priority: 10 });
    } finally {
      await boss.stop({ graceful: false });
    }
    expect(await finished(task.id)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    // every job of the run has been handled by now
    await new Promise((r) => setTimeout(r, 3000));
    expect(await runsOf(task.id)).toHaveLength(1);
    expect((await replies(id)).filter((m) => m.kind === 'task')).toHaveLength(1);
    expect(requestsWith('marker-duplicate')).toHaveLength(1);
  });

  it('a run whose job the queue gave up on is recorded failed, not left running', async () => {
    const id = await conversation();
    const task = await inTenant((tx) =>
      createTask(tx, queue, id, { prompt: 'never due', schedule: { kind: 'interval', value: '30d' } }, DEFAULT_TASK_LIMITS),
    );
    // a run that was started and whose job then ran out of retries
    const scheduledFor = new Date(Date.now() - 60_000);
    await inTenant((tx) =>
      tx.client.query(`INSERT INTO task_runs (id, task_id, scheduled_for) VALUES ('run_dead', $1, $2)`, [task.id, scheduledFor]),
    );
    const boss = new PgBoss({ connectionString: stack.db.url, schema: QUEUE_SCHEMA, supervise: false, schedule: false, migrate: false });
    await boss.start();
    try {
      await boss.send(TURN_DEAD_LETTER_QUEUE, {
        tenantId,
        conversationId: id,
        kind: 'task',
        taskId: task.id,
        scheduledFor: scheduledFor.toISOString(),
      });
    } finally {
      await boss.stop({ graceful: false });
    }
    expect(await finished(task.id)).toEqual([
      expect.objectContaining({ status: 'failed', reason: expect.stringContaining('dead_lettered') }),
    ]);
  });

  it('a worker SIGKILLed while a task turn runs: another worker answers the run, once', async () => {
    const [first] = workers.splice(0, 1);
    await stopProcess(first!, 'SIGTERM');
    const victim = startWorker('victim');
    const id = await conversation();
    const task = await schedule(id, 'marker-killed\n#fake sleep 4000');
    await eventually(
      () =>
        inTenant(
          async (tx) => (await tx.client.query(`SELECT 1 FROM turns WHERE task_id = $1 AND status = 'running'`, [task.id])).rowCount,
        ),
      (n) => n === 1,
    );
    await stopProcess(victim, 'SIGKILL');
    startWorker('rescuer');
    const [run] = await finished(task.id);
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(await runsOf(task.id)).toHaveLength(1);
    const answered = (await replies(id)).filter((m) => m.kind === 'task');
    expect(answered).toEqual([expect.objectContaining({ attempt: 2 })]);
  }, 120_000);
});
