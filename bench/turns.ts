// pnpm bench:turns — the turn pipeline against a zero-latency model API: ingest→reply latency
// with warm sandboxes, and turns/s with 1 and 2 workers; the same for turns that send three
// send_message outputs before their answer (ingest→last output, outputs/s); beside a raw pg-boss
// send→work→complete loop on the same database in the same run.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createConversation } from '@warren/conversations';
import { createPool, freePort, type Pool, withTenant } from '@warren/db';
import { QUEUE_SCHEMA, TurnQueue } from '@warren/queue';
import { provisionTenant } from '@warren/tenancy';
import { ingestMessage } from '@warren/turns';
import { PgBoss } from 'pg-boss';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram, waitFor } from './lib/processes.ts';
import { percentile, printTable, runFor } from './lib/report.ts';

const LATENCY_TURNS = Number(process.env.BENCH_TURNS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const LANES = 16;
const TOKEN_SECRET = 'bench-token-secret-0123456789abcdef0123456789';

const db = await benchDatabase();
const dir = mkdtempSync(join(tmpdir(), 'warren-bench-turns-'));
chmodSync(dir, 0o711);
// in a folder of its own: sandboxes bind the socket's folder, which must hold nothing else
const proxySocket = join(dir, 'proxy', 'proxy.sock');
mkdirSync(dirname(proxySocket), { mode: 0o755 });
const upstreamPort = await freePort();
const services = [
  startProgram('packages/fake-anthropic/src/main.ts', { PORT: String(upstreamPort) }),
  startProgram('apps/credential-proxy/src/main.ts', {
    DATABASE_URL: db.url,
    PROXY_SOCKET_PATH: proxySocket,
    PROXY_TOKEN_SECRET: TOKEN_SECRET,
    ANTHROPIC_API_KEY: 'sk-ant-bench',
    ANTHROPIC_UPSTREAM: `http://127.0.0.1:${upstreamPort}`,
  }),
];
const workers: ChildProcess[] = [];
const startWorker = (n: number) =>
  workers.push(
    startProgram('apps/worker/src/main.ts', {
      DATABASE_URL: db.url,
      PROXY_SOCKET_PATH: proxySocket,
      PROXY_TOKEN_SECRET: TOKEN_SECRET,
      SANDBOX_ROOT: join(dir, `worker-${n}`),
      WORKER_CONCURRENCY: String(LANES),
      TENANT_CONCURRENCY: String(LANES),
      SANDBOX_MAX: String(LANES * 2),
      SANDBOX_MAX_PER_TENANT: String(LANES * 2),
    }),
  );
const stopWorkers = async () => {
  await Promise.all(
    workers.splice(0).map(
      (w) =>
        new Promise((r) => {
          w.once('exit', r);
          w.kill('SIGTERM');
        }),
    ),
  );
};

/** A turn that sends three messages, then answers: four assistant messages. */
const OUTPUTS = 3;
const withOutputs = {
  content: ['p1', 'p2', 'p3'].map((text) => `#fake tool send_message {"text":"${text}"}`).join('\n'),
  replies: OUTPUTS + 1,
};
const plain = { content: 'ping', replies: 1 };

/**
 * Resolves when the conversation has `replies` assistant messages with seq > `afterSeq`, polling
 * every `everyMs` (fine-grained for latency; coarser under load, where polling would compete with
 * the pipeline for the same two cores).
 */
async function repliesAfter(
  pool: Pool,
  tenantId: string,
  conversationId: string,
  afterSeq: number,
  replies: number,
  everyMs: number,
): Promise<void> {
  for (;;) {
    const { rows } = await withTenant(pool, tenantId, (tx) =>
      tx.client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND role = 'assistant' AND seq > $2`,
        [conversationId, afterSeq],
      ),
    );
    if (rows[0]!.n >= replies) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

try {
  const pool = createPool(db.url, { max: LANES + 4, logger: benchLogger });
  const queue = await TurnQueue.start(db.url, benchLogger);
  const { tenant } = await provisionTenant(pool, { name: 'bench' });
  const conversations: string[] = [];
  for (let i = 0; i < LANES; i++)
    conversations.push(await withTenant(pool, tenant.id, async (tx) => (await createConversation(tx, {})).id));
  /** One turn: ingest a triggering message, wait for its last reply; returns ms. */
  const turn = async (conversationId: string, pollMs = 25, kind = plain) => {
    const t0 = performance.now();
    const { message } = await withTenant(pool, tenant.id, (tx) => ingestMessage(tx, queue, conversationId, { content: kind.content }));
    await repliesAfter(pool, tenant.id, conversationId, message.seq, kind.replies, pollMs);
    return performance.now() - t0;
  };
  await waitFor('credential proxy', async () => existsSync(proxySocket));

  // 1. latency, one worker, warm sandboxes (the first turn of each conversation warms it)
  startWorker(0);
  await Promise.all(conversations.map((c) => turn(c)));
  const latency: number[] = [];
  for (let i = 0; i < LATENCY_TURNS; i++) latency.push(await turn(conversations[i % 4]!, 1));

  // where the latency goes, from pg-boss's own timestamps of the same turns
  const stages = await pool.query<Record<'wait50' | 'wait99' | 'run50' | 'run99', number>>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS wait50, percentile_cont(0.99) WITHIN GROUP (ORDER BY wait) AS wait99,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY run) AS run50, percentile_cont(0.99) WITHIN GROUP (ORDER BY run) AS run99
       FROM (SELECT extract(epoch FROM started_on - created_on) * 1000 AS wait, extract(epoch FROM completed_on - started_on) * 1000 AS run
               FROM ${QUEUE_SCHEMA}.job WHERE name = 'turn' AND state = 'completed' ORDER BY created_on DESC LIMIT $1) j`,
    [LATENCY_TURNS],
  );
  const stage = stages.rows[0]!;
  const outputsLatency: number[] = [];
  for (let i = 0; i < LATENCY_TURNS; i++) outputsLatency.push(await turn(conversations[i % 4]!, 1, withOutputs));

  // 2. throughput: every lane a conversation, one turn after another, with 1 then 2 workers
  const rate = async (kind = plain) =>
    (await runFor(SECONDS * 1000, LANES, (lane) => turn(conversations[lane]!, 25, kind).then(() => {}))).length / SECONDS;
  const oneWorker = await rate();
  const outputsPerSecond = (await rate(withOutputs)) * OUTPUTS;
  startWorker(1);
  await Promise.all(conversations.map((c) => turn(c))); // warm the second worker's sandboxes too
  const twoWorkers = await rate();
  await stopWorkers();

  // 3. baseline: raw pg-boss send → work → complete on the same database, same lanes
  const boss = new PgBoss({ connectionString: db.url, schema: QUEUE_SCHEMA, max: LANES + 2, migrate: false, useListenNotify: true });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue('bench_raw', { policy: 'standard' });
  // Each lane: send a job, fetch one, complete it — the queue's own cost per unit of work.
  const rawLatency = await runFor(SECONDS * 1000, LANES, async () => {
    await boss.send('bench_raw', {});
    const [job] = await boss.fetch('bench_raw');
    if (job) await boss.complete('bench_raw', job.id);
  });
  const rawRate = rawLatency.length / SECONDS;
  await boss.stop({ graceful: false });
  await queue.stop();
  await pool.end();

  printTable(`Turn pipeline, zero-latency model API (fake), warm sandboxes; ${LANES} lanes`, [
    { measure: 'ingest → reply, 1 worker, sequential', 'p50 ms': percentile(latency, 50), 'p99 ms': percentile(latency, 99), 'per s': '' },
    { measure: '  of which: queued (send → fetch)', 'p50 ms': stage.wait50, 'p99 ms': stage.wait99, 'per s': '' },
    { measure: '  of which: worker (fetch → complete)', 'p50 ms': stage.run50, 'p99 ms': stage.run99, 'per s': '' },
    { measure: 'turns/s, 1 worker', 'p50 ms': '', 'p99 ms': '', 'per s': oneWorker },
    {
      measure: `${OUTPUTS} send_message + answer: ingest → last output, 1 worker, sequential`,
      'p50 ms': percentile(outputsLatency, 50),
      'p99 ms': percentile(outputsLatency, 99),
      'per s': '',
    },
    {
      measure: `${OUTPUTS} send_message + answer: send_message outputs/s, 1 worker`,
      'p50 ms': '',
      'p99 ms': '',
      'per s': outputsPerSecond,
    },
    { measure: 'turns/s, 2 workers', 'p50 ms': '', 'p99 ms': '', 'per s': twoWorkers },
    {
      measure: 'baseline: raw pg-boss send → fetch → complete',
      'p50 ms': percentile(rawLatency, 50),
      'p99 ms': percentile(rawLatency, 99),
      'per s': rawRate,
    },
    { measure: 'ratio turns/s (2 workers) / raw loop', 'p50 ms': '', 'p99 ms': '', 'per s': twoWorkers / rawRate },
  ]);
} finally {
  await stopWorkers();
  for (const child of services) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
