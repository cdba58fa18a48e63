// pnpm bench:history — two conversations of BENCH_TURNS turns each (default 200) through the real
// pipeline (worker, sandbox, credential proxy, fake model API), their turns interleaved on one
// worker: one with a compaction budget that never triggers (the baseline), one with a small one
// (each its assistant's compactionBudgetTokens). Prints the model input tokens the proxy metered
// per turn (turns.usage: a compacting turn's summary call included) and the ingest → reply
// latency of ordinary turns beside the turns that compacted (wrote an archive).
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssistant, createConversation } from '@warren/conversations';
import { createPool, freePort, withTenant } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { provisionTenant } from '@warren/tenancy';
import { ingestMessage } from '@warren/turns';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram, waitFor } from './lib/processes.ts';
import { percentile, printTable } from './lib/report.ts';

const TURNS = Number(process.env.BENCH_TURNS ?? 200);
const SMALL_BUDGET = Number(process.env.BENCH_BUDGET_TOKENS ?? 4000);
const KEEP_TURNS = 4; // the worker's default
/** A budget no conversation here reaches (the largest a turn's input may carry). */
const NEVER = 10_000_000;
const INSTRUCTIONS = 'You are a helpful assistant planning a project with a small team.';
const TOKEN_SECRET = 'bench-token-secret-0123456789abcdef0123456789';
/** Each turn: a user message of about 30 tokens asking for a reply of about 150 (the fake's `long`). */
const message = (i: number) =>
  `Turn ${i}. Here is one more detail of the plan we are working out together, and a question about it.\n#fake long 600`;

const started = Date.now();
const db = await benchDatabase();
const dir = mkdtempSync(join(tmpdir(), 'warren-bench-history-'));
chmodSync(dir, 0o711);
// in a folder of its own: every sandbox binds the socket's folder, which must hold nothing else
mkdirSync(join(dir, 'proxy'), { mode: 0o755 });
const proxySocket = join(dir, 'proxy', 'proxy.sock');
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
let worker: ChildProcess | undefined;
const stopWorker = () =>
  new Promise((resolve) => {
    if (!worker || worker.exitCode !== null) return resolve(null);
    worker.once('exit', resolve);
    worker.kill('SIGTERM');
  });

interface TurnFigures {
  inputTokens: number;
  ms: number;
  compacted: boolean;
}

try {
  const pool = createPool(db.url, { max: 4, logger: benchLogger });
  const queue = await TurnQueue.start(db.url, benchLogger);
  const { tenant } = await provisionTenant(pool, { name: 'bench' });
  await waitFor('credential proxy', async () => existsSync(proxySocket));
  worker = startProgram('apps/worker/src/main.ts', {
    DATABASE_URL: db.url,
    PROXY_SOCKET_PATH: proxySocket,
    PROXY_TOKEN_SECRET: TOKEN_SECRET,
    SANDBOX_ROOT: join(dir, 'sandboxes'),
    COMPACTION_BUDGET_TOKENS: String(NEVER),
    COMPACTION_KEEP_TURNS: String(KEEP_TURNS),
  });

  // Both conversations on the one worker, their turns taken in turn, so that the machine's other
  // load falls on both alike (which goes first alternates); each has an assistant of its own budget
  // (same instructions).
  const runs: Array<{ name: string; id: string; ms: number[] }> = [];
  for (const [name, budget] of [
    [`no compaction (budget ${NEVER.toLocaleString('en')})`, NEVER],
    [`compaction (budget ${SMALL_BUDGET}, keep ${KEEP_TURNS} turns)`, SMALL_BUDGET],
  ] as const) {
    const id = await withTenant(pool, tenant.id, async (tx) => {
      const assistant = await createAssistant(
        tx,
        { name: `budget-${budget}`, instructions: INSTRUCTIONS, compactionBudgetTokens: budget },
        2,
      );
      return (await createConversation(tx, { assistantId: assistant.assistantId })).id;
    });
    runs.push({ name, id, ms: [] });
  }

  const replied = async (conversationId: string, afterSeq: number) =>
    (
      await withTenant(pool, tenant.id, (tx) =>
        tx.client.query(`SELECT 1 FROM messages WHERE conversation_id = $1 AND role = 'assistant' AND seq > $2 LIMIT 1`, [
          conversationId,
          afterSeq,
        ]),
      )
    ).rows.length > 0;
  for (let i = 1; i <= TURNS; i++) {
    for (const run of i % 2 === 1 ? runs : runs.toReversed()) {
      const t0 = performance.now();
      const { message: sent } = await withTenant(pool, tenant.id, (tx) => ingestMessage(tx, queue, run.id, { content: message(i) }));
      // polled every 5 ms: fine enough for latency, light enough not to compete with the turn for the cores
      while (!(await replied(run.id, sent.seq))) {
        if (performance.now() - t0 > 60_000) throw new Error(`turn ${i} has no reply after 60 s (see the worker's log)`);
        await new Promise((r) => setTimeout(r, 5));
      }
      run.ms.push(performance.now() - t0);
    }
  }

  // the proxy metered every model call into its turn before answering it: the figures are complete
  const figures = async (run: (typeof runs)[number]): Promise<TurnFigures[]> => {
    const { rows } = await withTenant(pool, tenant.id, (tx) =>
      tx.client.query<{ input: number; compacted: boolean }>(
        `SELECT (usage->>'inputTokens')::int AS input, EXISTS (SELECT 1 FROM archives a WHERE a.turn_id = t.id) AS compacted
           FROM turns t WHERE conversation_id = $1 AND status = 'succeeded' ORDER BY to_seq`,
        [run.id],
      ),
    );
    if (rows.length !== TURNS) throw new Error(`expected ${TURNS} succeeded turns, found ${rows.length}`);
    return rows.map((r, i) => ({ inputTokens: r.input, compacted: r.compacted, ms: run.ms[i]! }));
  };
  const [plain, compacting] = [await figures(runs[0]!), await figures(runs[1]!)];
  await queue.stop();
  await pool.end();

  const at = [1, 50, 100, 150, 200].filter((n) => n < TURNS).concat(TURNS);
  const total = (turns: TurnFigures[]) => turns.reduce((sum, t) => sum + t.inputTokens, 0);
  const columns = (f: (turns: TurnFigures[]) => number) => ({ [runs[0]!.name]: f(plain), [runs[1]!.name]: f(compacting) });
  printTable(`Model input tokens per turn (metered by the credential proxy), ${TURNS} turns of one conversation`, [
    ...at.map((n) => ({ turn: String(n), ...columns((turns) => turns[n - 1]!.inputTokens) })),
    { turn: 'total', ...columns(total) },
    { turn: 'compacting turns', ...columns((turns) => turns.filter((t) => t.compacted).length) },
  ]);
  const latency = (name: string, turns: TurnFigures[]) => {
    const ms = turns.map((t) => t.ms);
    return { turns: name, count: turns.length, 'p50 ms': percentile(ms, 50), 'p99 ms': percentile(ms, 99) };
  };
  // turn 1 of each conversation starts its sandbox: left out, the rest run in a warm one
  printTable('Turn latency, ingest → reply (one worker, warm sandbox, zero-latency fake model; turn 1 left out)', [
    latency('baseline: every turn, no compaction', plain.slice(1)),
    latency(
      'with compaction: ordinary turns',
      compacting.slice(1).filter((t) => !t.compacted),
    ),
    latency(
      'with compaction: turns that compacted',
      compacting.filter((t) => t.compacted),
    ),
  ]);
  console.log(`${2 * TURNS} turns in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} finally {
  await stopWorker();
  for (const child of services) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
