// pnpm bench:tasks — scheduled tasks: BENCH_TASKS (1,000) tasks due in the same minute, half with
// a pre-check that answers wakeAgent false — lag from each run's scheduled time to its start
// (p50/p99) and the model calls made; then what waiting tasks cost: the database's transactions
// per second (pg_stat_database) with a worker running, 10 tasks waiting (the baseline) vs 10,000.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConversation } from '@warren/conversations';
import { createPool, freePort, type Pool, withTenant } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { createTask, DEFAULT_TASK_LIMITS } from '@warren/tasks';
import { provisionTenant } from '@warren/tenancy';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram, waitFor } from './lib/processes.ts';
import { percentile, printTable } from './lib/report.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 1000);
const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 50);
const IDLE_SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const LANES = 16;
const TOKEN_SECRET = 'bench-token-secret-0123456789abcdef0123456789';
const limits = { ...DEFAULT_TASK_LIMITS, maxActiveTasks: 100_000 };

const db = await benchDatabase();
const dir = mkdtempSync(join(tmpdir(), 'warren-bench-tasks-'));
chmodSync(dir, 0o711);
// the proxy socket's folder holds only the socket: every sandbox sees it
mkdirSync(join(dir, 'proxy'), { mode: 0o711 });
const proxySocket = join(dir, 'proxy', 'proxy.sock');
const upstreamPort = await freePort();
const services: ChildProcess[] = [
  startProgram('packages/fake-anthropic/src/main.ts', { PORT: String(upstreamPort) }),
  startProgram('apps/credential-proxy/src/main.ts', {
    DATABASE_URL: db.url,
    PROXY_SOCKET_PATH: proxySocket,
    PROXY_TOKEN_SECRET: TOKEN_SECRET,
    ANTHROPIC_API_KEY: 'sk-ant-bench',
    ANTHROPIC_UPSTREAM: `http://127.0.0.1:${upstreamPort}`,
  }),
];
const worker = () =>
  startProgram('apps/worker/src/main.ts', {
    DATABASE_URL: db.url,
    PROXY_SOCKET_PATH: proxySocket,
    PROXY_TOKEN_SECRET: TOKEN_SECRET,
    SANDBOX_ROOT: join(dir, 'worker'),
    WORKER_CONCURRENCY: String(LANES),
    TENANT_CONCURRENCY: String(LANES),
    SANDBOX_MAX: String(CONVERSATIONS + LANES),
    SANDBOX_MAX_PER_TENANT: String(CONVERSATIONS + LANES),
    QUEUE_POLL_SECONDS: '1',
  });

async function conversations(pool: Pool, tenantId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await withTenant(pool, tenantId, async (tx) => (await createConversation(tx, {})).id));
  return ids;
}

/** Transactions the server counted over `ms` (backends flush their counts within about a second). */
async function transactionsPerSecond(pool: Pool, ms: number): Promise<number> {
  const count = async () =>
    Number(
      (await pool.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()'))
        .rows[0]!.n,
    );
  const before = await count();
  await new Promise((r) => setTimeout(r, ms));
  return ((await count()) - before - 1) / (ms / 1000);
}

let running: ChildProcess | undefined;
try {
  const pool = createPool(db.url, { max: 8, logger: benchLogger });
  const queue = await TurnQueue.start(db.url, benchLogger);
  await waitFor('credential proxy', async () => existsSync(proxySocket));

  // 1. a burst: TASKS runs due at the same time, spread over CONVERSATIONS conversations
  const burst = (await provisionTenant(pool, { name: 'burst', maxConcurrentTurns: LANES })).tenant;
  const convs = await conversations(pool, burst.id, CONVERSATIONS);
  const due = new Date(Math.ceil((Date.now() + 45_000) / 60_000) * 60_000); // the start of a minute, after seeding
  for (let done = 0; done < TASKS; done += 100) {
    await withTenant(pool, burst.id, async (tx) => {
      for (let i = done; i < Math.min(TASKS, done + 100); i++) {
        const precheckScript = i % 2 === 0 ? `echo '{"wakeAgent": false}'` : null;
        await createTask(
          tx,
          queue,
          convs[i % CONVERSATIONS]!,
          { prompt: `burst ${i}`, schedule: { kind: 'once', value: due.toISOString() }, precheckScript },
          limits,
        );
      }
    });
  }
  running = worker();
  const finished = async () =>
    (
      await withTenant(pool, burst.id, (tx) =>
        tx.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM task_runs WHERE finished_at IS NOT NULL`),
      )
    ).rows[0]!.n;
  while ((await finished()) < TASKS) await new Promise((r) => setTimeout(r, 1000));
  const { rows: runs } = await withTenant(pool, burst.id, (tx) =>
    tx.client.query<{ lag: number; status: string; ran: number }>(
      `SELECT extract(epoch FROM t.started_at - r.scheduled_for) * 1000 AS lag, r.status FROM task_runs r JOIN turns t ON t.id = r.turn_id`,
    ),
  );
  const lags = runs.map((r) => Number(r.lag));
  const byStatus = (s: string) => runs.filter((r) => r.status === s).length;
  const { rows: calls } = await pool.query<{ n: number }>(
    'SELECT coalesce(sum(requests), 0)::int AS n FROM control.usage WHERE tenant_id = $1',
    [burst.id],
  );

  // 2. waiting tasks: 10, then 10,000, with the worker running and nothing due
  const idle = (await provisionTenant(pool, { name: 'idle' })).tenant;
  const [idleConv] = await conversations(pool, idle.id, 1);
  const addIdle = async (from: number, to: number) => {
    for (let done = from; done < to; done += 500) {
      await withTenant(pool, idle.id, async (tx) => {
        for (let i = done; i < Math.min(to, done + 500); i++)
          await createTask(
            tx,
            queue,
            idleConv!,
            { prompt: `idle ${i}`, schedule: { kind: 'interval', value: `${1 + (i % 20)}d` } },
            limits,
          );
      });
    }
  };
  await addIdle(0, 10);
  await new Promise((r) => setTimeout(r, 3000));
  const few = await transactionsPerSecond(pool, IDLE_SECONDS * 1000);
  await addIdle(10, 10_000);
  await new Promise((r) => setTimeout(r, 3000));
  const many = await transactionsPerSecond(pool, IDLE_SECONDS * 1000);
  await queue.stop();
  await pool.end();

  printTable(`Scheduled tasks: ${TASKS} due at ${due.toISOString()} over ${CONVERSATIONS} conversations, 1 worker, ${LANES} lanes`, [
    { measure: 'lag scheduled_for → turn start', p50: percentile(lags, 50), p99: percentile(lags, 99), unit: 'ms' },
    { measure: 'runs succeeded / skipped by pre-check', p50: byStatus('succeeded'), p99: byStatus('skipped'), unit: 'runs' },
    { measure: 'model calls made (credential proxy)', p50: calls[0]!.n, p99: '', unit: 'requests' },
    { measure: 'baseline: 10 tasks waiting', p50: few, p99: '', unit: 'transactions/s' },
    { measure: '10,000 tasks waiting', p50: many, p99: '', unit: 'transactions/s' },
  ]);
} finally {
  running?.kill('SIGTERM');
  for (const child of services) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
