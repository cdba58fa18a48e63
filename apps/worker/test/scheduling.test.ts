import { appendUserMessage, createConversation, deleteConversation } from '@warren/conversations';
import { controlDb, withTenant } from '@warren/db';
import { QUEUE_SCHEMA, TURN_DEAD_LETTER_QUEUE, TURN_MAX_ATTEMPTS, TURN_QUEUE, TurnQueue } from '@warren/queue';
import { createTask, DEFAULT_TASK_LIMITS } from '@warren/tasks';
import { provisionTenant, setTenantStatus } from '@warren/tenancy';
import { type ModelStack, startModelStack } from '@warren/testkit';
import { ingestMessage } from '@warren/turns';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, spawnWorker, stopProcess } from './helpers.ts';

// How workers schedule turns: the per-tenant cap across worker processes, task turns first,
// dead-lettered turns closed, and a graceful stop. Real worker processes, real sandboxes.

let stack: ModelStack;
let queue: TurnQueue;
let run = 0;

const startWorker = (env: Record<string, string>) => spawnWorker(stack, `scheduling-${++run}`, env);

async function tenantWith(conversations: number, maxConcurrentTurns: number | null = null) {
  const { tenant } = await provisionTenant(stack.db.pool, { name: `scheduling-${run}`, maxConcurrentTurns });
  const ids: string[] = [];
  for (let i = 0; i < conversations; i++)
    ids.push(await withTenant(stack.db.pool, tenant.id, async (tx) => (await createConversation(tx, {})).id));
  return { tenantId: tenant.id, ids, maxConcurrentTurns };
}

/** What the messages endpoint does, the tenant's own turn cap included. */
const post = (tenantId: string, conversationId: string, content: string) =>
  withTenant(stack.db.pool, tenantId, (tx) => ingestMessage(tx, queue, conversationId, { content }));

/** The most turns of `turns` that were running at the same moment. */
function mostAtOnce(turns: Array<{ started_at: Date; finished_at: Date }>): number {
  const edges = turns.flatMap((w) => [
    { at: w.started_at.getTime(), step: 1 },
    { at: w.finished_at.getTime(), step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step); // a turn that ends as another starts does not overlap it
  let now = 0;
  let most = 0;
  for (const edge of edges) {
    now += edge.step;
    most = Math.max(most, now);
  }
  return most;
}

/** A short-lived pg-boss of the test's own, to put jobs where the pipeline would. */
async function withBoss<T>(fn: (boss: PgBoss) => Promise<T>): Promise<T> {
  const boss = new PgBoss({ connectionString: stack.db.url, schema: QUEUE_SCHEMA, supervise: false, schedule: false, migrate: false });
  boss.on('error', () => {});
  await boss.start();
  try {
    return await fn(boss);
  } finally {
    await boss.stop({ graceful: false });
  }
}

const turnRows = (tenantId: string) =>
  withTenant(stack.db.pool, tenantId, async (tx) => (await tx.client.query('SELECT conversation_id, status, error FROM turns')).rows);

/** Every finished turn of a tenant, with its time window. */
const windows = (tenantId: string) =>
  withTenant(
    stack.db.pool,
    tenantId,
    async (tx) =>
      (
        await tx.client.query(
          `SELECT conversation_id, kind, status, started_at, finished_at FROM turns WHERE status = 'succeeded' ORDER BY started_at`,
        )
      ).rows as Array<{ conversation_id: string; kind: string; status: string; started_at: Date; finished_at: Date }>,
  );

beforeAll(async () => {
  stack = await startModelStack();
  queue = await TurnQueue.start(stack.db.url, stack.logger);
}, 60_000);

afterAll(async () => {
  await queue.stop();
  await stack.close();
});

describe('worker scheduling', () => {
  it('holds the per-tenant cap across two worker processes while other tenants run alongside', async () => {
    const capped = await tenantWith(4);
    const other = await tenantWith(1);
    const settings = { WORKER_CONCURRENCY: '4', TENANT_CONCURRENCY: '1' };
    const workers = [startWorker(settings), startWorker(settings)];
    try {
      for (const id of capped.ids) await post(capped.tenantId, id, '#fake sleep 500');
      await post(other.tenantId, other.ids[0]!, '#fake sleep 500');
      const done = await eventually(
        () => windows(capped.tenantId),
        (w) => w.length === capped.ids.length,
      );
      expect(done.map((w) => w.conversation_id).sort()).toEqual([...capped.ids].sort());
      expect(mostAtOnce(done)).toBe(1);
      // the other tenant was not queued behind the capped one
      const [theirs] = await eventually(
        () => windows(other.tenantId),
        (w) => w.length === 1,
      );
      expect(theirs!.started_at.getTime()).toBeLessThan(done.at(-1)!.started_at.getTime());
    } finally {
      await Promise.all(workers.map((w) => stopProcess(w)));
    }
  }, 120_000);

  it("applies a tenant's own cap instead of the workers' default, above it and below it", async () => {
    const roomy = await tenantWith(4, 3);
    const tight = await tenantWith(3, 1);
    const worker = startWorker({ WORKER_CONCURRENCY: '8', TENANT_CONCURRENCY: '2' });
    try {
      for (const t of [roomy, tight]) for (const id of t.ids) await post(t.tenantId, id, '#fake sleep 1500');
      const roomyDone = await eventually(
        () => windows(roomy.tenantId),
        (w) => w.length === roomy.ids.length,
      );
      const tightDone = await eventually(
        () => windows(tight.tenantId),
        (w) => w.length === tight.ids.length,
      );
      expect(mostAtOnce(roomyDone)).toBe(3);
      expect(mostAtOnce(tightDone)).toBe(1);
    } finally {
      await stopProcess(worker);
    }
  }, 120_000);

  it('coalesces triggers sent during a turn into one next turn that covers them all', async () => {
    const t = await tenantWith(1);
    const id = t.ids[0]!;
    const worker = startWorker({ WORKER_CONCURRENCY: '2' });
    try {
      await post(t.tenantId, id, '#fake sleep 1500');
      await eventually(
        () =>
          withTenant(
            stack.db.pool,
            t.tenantId,
            async (tx) => (await tx.client.query(`SELECT 1 FROM turns WHERE status = 'running'`)).rowCount,
          ),
        (n) => n === 1,
      );
      for (const content of ['second', 'third', 'fourth']) await post(t.tenantId, id, content);
      const done = await eventually(
        () => windows(t.tenantId),
        (w) => w.length === 2,
      );
      expect(done).toHaveLength(2);
      expect(done[1]!.started_at.getTime()).toBeGreaterThanOrEqual(done[0]!.finished_at.getTime());
      const ranges = await withTenant(
        stack.db.pool,
        t.tenantId,
        async (tx) => (await tx.client.query('SELECT from_seq::int, to_seq::int FROM turns ORDER BY started_at')).rows,
      );
      // seq 5 is the first reply, written after the three arrived: the second turn covers it too
      expect(ranges).toEqual([
        { from_seq: 0, to_seq: 1 },
        { from_seq: 1, to_seq: 5 },
      ]);
    } finally {
      await stopProcess(worker);
    }
  }, 120_000);

  it("frees a SIGKILLed worker's tenant slot at once: the tenant's next turn starts before the dead turn's lease lapses", async () => {
    const t = await tenantWith(2);
    const [stuck, next] = t.ids as [string, string];
    const settings = { WORKER_CONCURRENCY: '1', TENANT_CONCURRENCY: '1' };
    const workers = new Map([
      ['wkr_one', startWorker({ ...settings, WORKER_ID: 'wkr_one' })],
      ['wkr_two', startWorker({ ...settings, WORKER_ID: 'wkr_two' })],
    ]);
    try {
      await post(t.tenantId, stuck, '#fake sleep 10000');
      const running = () =>
        withTenant(
          stack.db.pool,
          t.tenantId,
          async (tx) =>
            (await tx.client.query(`SELECT id, worker_id FROM turns WHERE conversation_id = $1 AND status = 'running'`, [stuck])).rows,
        );
      const [turn] = await eventually(running, (rows) => rows.length === 1);
      await stopProcess(workers.get(turn.worker_id)!);
      await post(t.tenantId, next, 'after the kill');
      const [answered] = await eventually(
        async () => (await windows(t.tenantId)).filter((w) => w.conversation_id === next),
        (w) => w.length === 1,
      );
      expect(answered).toBeDefined();
      const { lease } = await withTenant(
        stack.db.pool,
        t.tenantId,
        async (tx) => (await tx.client.query('SELECT lease_expires_at AS lease FROM turns WHERE id = $1', [turn.id])).rows[0],
      );
      // neither the dead turn's lease nor the queue's heartbeat (longer still) held the tenant's only slot
      expect(answered!.started_at.getTime()).toBeLessThan(lease.getTime());
    } finally {
      await Promise.all([...workers.values()].map((w) => stopProcess(w)));
      // its retried job would hold the next test's single worker for the whole sleep
      await withTenant(stack.db.pool, t.tenantId, (tx) => deleteConversation(tx, stuck));
    }
  }, 120_000);

  it('runs a task turn before message turns queued earlier', async () => {
    const t = await tenantWith(4);
    for (const id of t.ids.slice(0, 3)) await post(t.tenantId, id, 'a message turn');
    // a scheduled task, due before the worker starts
    const due = new Date(Date.now() + 500).toISOString();
    await withTenant(stack.db.pool, t.tenantId, (tx) =>
      createTask(tx, queue, t.ids[3]!, { prompt: 'the task prompt', schedule: { kind: 'once', value: due } }, DEFAULT_TASK_LIMITS),
    );
    await new Promise((r) => setTimeout(r, 600));
    const worker = startWorker({ WORKER_CONCURRENCY: '1' });
    try {
      const done = await eventually(
        () => windows(t.tenantId),
        (w) => w.length === 4,
      );
      expect(done.map((w) => w.conversation_id)).toEqual([t.ids[3], ...t.ids.slice(0, 3)]);
    } finally {
      await stopProcess(worker);
    }
  }, 120_000);

  it("retries a turn that fails before any output as often as promised, even past its job's own retries, then marks it failed", async () => {
    const t = await tenantWith(1);
    const id = t.ids[0]!;
    await withTenant(stack.db.pool, t.tenantId, (tx) => appendUserMessage(tx, id, { content: '#fake error 400 refused every time' }));
    // the job as ingest sends it, but with one retry a second later instead of the queue's five:
    // the turn's attempts are counted on the turn, and a dead-lettered job with attempts left is sent again
    const data = { tenantId: t.tenantId, conversationId: id, kind: 'message' as const };
    await withBoss((boss) =>
      boss.send(TURN_QUEUE, data, { singletonKey: id, group: { id: t.tenantId }, retryLimit: 1, retryDelay: 1, retryBackoff: false }),
    );
    const worker = startWorker({ WORKER_CONCURRENCY: '1', QUEUE_POLL_SECONDS: '1' });
    try {
      const rows = await eventually(
        () => withTenant(stack.db.pool, t.tenantId, async (tx) => (await tx.client.query('SELECT status, attempt, error FROM turns')).rows),
        (r) => r[0]?.status === 'failed',
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'failed', attempt: TURN_MAX_ATTEMPTS });
      expect(rows[0].error.message).toMatch(/400/);
      const dead = await eventually(
        () =>
          stack.db.pool.query(`SELECT data FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND data->>'conversationId' = $2`, [
            TURN_DEAD_LETTER_QUEUE,
            id,
          ]),
        (r) => r.rowCount === 1,
      );
      expect(dead.rows[0].data).toEqual(data);
      // the conversation is not stuck on it: its range counts as processed
      const cursor = await withTenant(
        stack.db.pool,
        t.tenantId,
        async (tx) => (await tx.client.query('SELECT processed_seq::int AS p FROM cursors')).rows[0].p,
      );
      expect(cursor).toBe(1);
    } finally {
      await stopProcess(worker);
    }
  }, 120_000);

  it('closes a dead-lettered turn: marked failed, visible, and the conversation moves on', async () => {
    const t = await tenantWith(1);
    const id = t.ids[0]!;
    // the state a dead-lettered job leaves: a running turn whose worker died and whose lease lapsed
    await withTenant(stack.db.pool, t.tenantId, async (tx) => {
      await appendUserMessage(tx, id, { content: 'poison' });
      await tx.client.query(
        `INSERT INTO turns (id, conversation_id, status, from_seq, to_seq, attempt, started_at, lease_expires_at)
         VALUES ('turn_dead_letter_probe', $1, 'running', 0, 1, 6, now(), now() - interval '1 second')`,
        [id],
      );
    });
    await withBoss((boss) => boss.send(TURN_DEAD_LETTER_QUEUE, { tenantId: t.tenantId, conversationId: id, kind: 'message' }));
    const worker = startWorker({ WORKER_CONCURRENCY: '1' });
    try {
      const rows = await eventually(
        () => turnRows(t.tenantId),
        (r) => r[0]?.status === 'failed',
      );
      expect(rows).toEqual([
        {
          conversation_id: id,
          status: 'failed',
          error: { message: 'the queue gave up on this turn after 6 attempt(s)', kind: 'dead_lettered' },
        },
      ]);
      // the next trigger starts after the abandoned range instead of re-running it
      await post(t.tenantId, id, 'next question');
      const done = await eventually(
        () => windows(t.tenantId),
        (w) => w.length === 1,
      );
      expect(done).toHaveLength(1);
      const covered = await withTenant(
        stack.db.pool,
        t.tenantId,
        async (tx) => (await tx.client.query(`SELECT from_seq::int, to_seq::int FROM turns WHERE status = 'succeeded'`)).rows,
      );
      expect(covered).toEqual([{ from_seq: 1, to_seq: 2 }]);
    } finally {
      await stopProcess(worker);
    }
  }, 120_000);

  it("answers every message when the turn's worker is killed while new triggers arrive, again and again", async () => {
    const t = await tenantWith(1);
    const id = t.ids[0]!;
    const turns = () =>
      withTenant(stack.db.pool, t.tenantId, async (tx) => (await tx.client.query('SELECT status, attempt, error FROM turns')).rows);
    // Each attempt sleeps (the directive is in the turn's input), so there is time to kill its worker.
    await post(t.tenantId, id, '#fake sleep 2000');
    // restarted on one host: each worker clears what the killed one left in the sandbox folder
    const restart = () =>
      spawnWorker(stack, 'scheduling-kills', { WORKER_CONCURRENCY: '1', QUEUE_POLL_SECONDS: '1', QUEUE_SUPERVISE_SECONDS: '1' });
    for (let kill = 1; kill <= 2; kill++) {
      const worker = restart();
      await eventually(turns, (rows) => rows[0]?.status === 'running' && rows[0].attempt === kill);
      await stopProcess(worker);
      // a second job for the conversation while the killed one waits for its retry (`stately`)
      await post(t.tenantId, id, `trigger ${kill} while the worker is dead`);
    }
    const worker = restart();
    try {
      const done = await eventually(turns, (rows) => rows.length > 0 && rows.every((r) => r.status === 'succeeded'), 90_000);
      expect(done.map((r) => r.status)).toEqual(done.map(() => 'succeeded'));
      const cursor = await withTenant(
        stack.db.pool,
        t.tenantId,
        async (tx) => (await tx.client.query('SELECT processed_seq::int AS p, seen_seq::int AS s FROM cursors')).rows[0],
      );
      const lastUser = await withTenant(
        stack.db.pool,
        t.tenantId,
        async (tx) => (await tx.client.query(`SELECT max(seq)::int AS m FROM messages WHERE role = 'user'`)).rows[0].m,
      );
      expect(cursor.p).toBeGreaterThanOrEqual(lastUser);
    } finally {
      // gracefully: its sandboxes' mounts go with them
      await stopProcess(worker, 'SIGTERM');
    }
  }, 180_000);

  it('stops a turn that runs past TURN_TIMEOUT_MS, fails it with its reason, and runs the next one', async () => {
    const t = await tenantWith(1);
    const id = t.ids[0]!;
    // a progress message, then a command that would run far past the limit
    await post(t.tenantId, id, ['#fake tool send_message {"text":"on it"}', '#fake tool bash {"command":"sleep 60"}'].join('\n'));
    const worker = startWorker({ WORKER_CONCURRENCY: '1', QUEUE_POLL_SECONDS: '1', TURN_TIMEOUT_MS: '3000' });
    try {
      const [timedOut] = await eventually(
        () => turnRows(t.tenantId),
        (r) => r[0]?.status === 'failed',
      );
      expect(timedOut).toMatchObject({
        status: 'failed',
        error: { kind: 'timeout', message: 'the turn ran longer than its limit of 3 s' },
      });
      // it had sent output: not re-run; the conversation goes on
      await post(t.tenantId, id, 'and now?');
      expect(
        await eventually(
          () => windows(t.tenantId),
          (w) => w.length === 1,
        ),
      ).toHaveLength(1);
    } finally {
      await stopProcess(worker, 'SIGTERM');
    }
  }, 120_000);

  it("holds a suspended tenant's turns until it is resumed, then answers them", async () => {
    const t = await tenantWith(1);
    const id = t.ids[0]!;
    const statusOf = (status: 'active' | 'suspended') => setTenantStatus(controlDb(stack.db.pool), t.tenantId, status);
    await post(t.tenantId, id, 'accepted before the suspension');
    await statusOf('suspended');
    const worker = startWorker({ WORKER_CONCURRENCY: '1' });
    try {
      // the worker has fetched the job and sent it back for later, without claiming a turn
      await eventually(
        () =>
          stack.db.pool.query(`SELECT 1 FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND singleton_key = $2 AND state = 'completed'`, [
            TURN_QUEUE,
            id,
          ]),
        (r) => r.rowCount === 1,
      );
      expect(await turnRows(t.tenantId)).toEqual([]);
      await statusOf('active');
      const done = await eventually(
        () => windows(t.tenantId),
        (w) => w.length === 1,
      );
      expect(done.map((w) => w.conversation_id)).toEqual([id]);
    } finally {
      await stopProcess(worker);
    }
  }, 120_000);

  it('stops a turn at its next lease renewal once another attempt has taken it over', async () => {
    const t = await tenantWith(1);
    const id = t.ids[0]!;
    const worker = startWorker({ WORKER_CONCURRENCY: '1' });
    try {
      await post(t.tenantId, id, '#fake sleep 45000');
      const running = () =>
        withTenant(
          stack.db.pool,
          t.tenantId,
          async (tx) => (await tx.client.query(`SELECT attempt FROM turns WHERE status = 'running'`)).rows,
        );
      await eventually(running, (rows) => rows.length === 1);
      // what a second worker's claim does when the queue hands the job on
      await withTenant(stack.db.pool, t.tenantId, (tx) => tx.client.query('UPDATE turns SET attempt = attempt + 1'));
      // the worker gives the job back long before the model would have answered (45 s)
      const job = await eventually(
        () => stack.db.pool.query(`SELECT state FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND singleton_key = $2`, [TURN_QUEUE, id]),
        (r) => r.rows[0]?.state === 'completed',
        25_000,
      );
      expect(job.rows[0].state).toBe('completed');
      expect(await running()).toEqual([{ attempt: 2 }]); // the taker's turn, untouched
      const replies = await withTenant(
        stack.db.pool,
        t.tenantId,
        async (tx) => (await tx.client.query(`SELECT 1 FROM messages WHERE role = 'assistant'`)).rowCount,
      );
      expect(replies).toBe(0);
    } finally {
      await stopProcess(worker);
    }
  }, 120_000);

  it('on SIGTERM stops claiming, lets the running turn finish, and exits cleanly', async () => {
    const t = await tenantWith(2);
    const worker = startWorker({ WORKER_CONCURRENCY: '1', TENANT_CONCURRENCY: '1' });
    try {
      await post(t.tenantId, t.ids[0]!, '#fake sleep 2000');
      await eventually(
        () =>
          withTenant(
            stack.db.pool,
            t.tenantId,
            async (tx) => (await tx.client.query(`SELECT 1 FROM turns WHERE status = 'running'`)).rowCount,
          ),
        (n) => n === 1,
      );
      await post(t.tenantId, t.ids[1]!, 'arrives during shutdown');
      const code = await stopProcess(worker, 'SIGTERM');
      expect(code).toBe(0);
      const finished = await windows(t.tenantId);
      expect(finished.map((w) => w.conversation_id)).toEqual([t.ids[0]]); // the running turn finished, the next was not claimed
    } finally {
      await stopProcess(worker);
    }
  }, 120_000);
});
