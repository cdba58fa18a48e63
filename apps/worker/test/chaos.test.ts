import { createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { provisionTenant } from '@warren/tenancy';
import { startCrashablePostgres, startModelStack, type CrashablePostgres, type ModelStack } from '@warren/testkit';
import { ingestMessage } from '@warren/turns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, spawnWorker, stopProcess } from './helpers.ts';

// Chaos: two worker processes, 500 triggered turns over 50 conversations of 5 tenants, workers
// killed with SIGKILL at random moments and restarted. Afterwards the database must show every
// trigger answered exactly once: nothing lost, nothing duplicated.

const TENANTS = 5;
const CONVERSATIONS_PER_TENANT = 10;
const MESSAGES_PER_CONVERSATION = 10;
const WORKERS = 2;

let stack: ModelStack;
let queue: TurnQueue;
const conversations: Array<{ tenantId: string; id: string }> = [];

// each worker is its own "host", with its own sandbox folders
const startWorker = (n: number) =>
  spawnWorker(stack, `worker-${n}`, { WORKER_CONCURRENCY: '4', TENANT_CONCURRENCY: '4', SANDBOX_MAX: '40', SANDBOX_MAX_PER_TENANT: '10' });

/** Per conversation: user message seqs, and the turns that sent output with their covered ranges. */
async function audit(on = { pool: stack?.db.pool, conversations }) {
  const report = [];
  for (const c of on.conversations) {
    report.push(
      await withTenant(on.pool, c.tenantId, async (tx) => {
        const users = (await tx.client.query('SELECT seq::int FROM messages WHERE conversation_id = $1 AND role = $2 ORDER BY seq', [c.id, 'user'])).rows.map((r) => r.seq as number);
        const turns = (
          await tx.client.query(
            `SELECT t.id, t.status, t.from_seq::int AS "from", t.to_seq::int AS "to",
                    (SELECT count(*)::int FROM messages m WHERE m.turn_id = t.id) AS replies
               FROM turns t WHERE t.conversation_id = $1 AND t.output_sent ORDER BY t.from_seq`,
            [c.id],
          )
        ).rows as Array<{ id: string; status: string; from: number; to: number; replies: number }>;
        const cursor = (await tx.client.query('SELECT processed_seq::int AS p FROM cursors WHERE conversation_id = $1', [c.id])).rows[0].p as number;
        return { users, turns, processed: cursor };
      }),
    );
  }
  return report;
}

async function runChaos(label: string): Promise<void> {
  const workers = Array.from({ length: WORKERS }, (_, n) => startWorker(n));
  let chaos = true;
  let kills = 0;
  const killer = (async () => {
    while (chaos) {
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500));
      if (!chaos) break;
      const n = Math.floor(Math.random() * WORKERS);
      await stopProcess(workers[n]!);
      kills++;
      workers[n] = startWorker(n);
    }
  })();

  // Triggers arrive over time, interleaved across conversations.
  for (let round = 0; round < MESSAGES_PER_CONVERSATION; round++) {
    await Promise.all(
      conversations.map((c) =>
        withTenant(stack.db.pool, c.tenantId, (tx) => ingestMessage(tx, queue, c.id, { content: `${label} round ${round}` })),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
  }

  // Keep killing for a while, then let the workers finish: until every conversation is processed.
  await new Promise((r) => setTimeout(r, 3000));
  chaos = false;
  await killer;
  const deadline = Date.now() + 240_000;
  let pending = Infinity;
  while (pending > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    pending = (await audit()).filter((c) => c.processed < (c.users.at(-1) ?? 0)).length;
  }
  await Promise.all(workers.map((w) => stopProcess(w)));
  expect(kills).toBeGreaterThan(0);
}

function expectExactlyOnce(report: Awaited<ReturnType<typeof audit>>) {
  for (const c of report) {
    // nothing lost: every user message lies in the range of a turn that answered
    for (const seq of c.users) {
      const answering = c.turns.filter((t) => t.from < seq && seq <= t.to);
      expect(answering, `message ${seq} answered by ${answering.length} turns`).toHaveLength(1);
    }
    // nothing duplicated: answering turns cover disjoint ranges and sent one reply each
    for (let i = 1; i < c.turns.length; i++) expect(c.turns[i]!.from).toBeGreaterThanOrEqual(c.turns[i - 1]!.to);
    for (const t of c.turns) expect(t.replies).toBe(1);
    expect(c.processed).toBeGreaterThanOrEqual(c.users.at(-1)!);
  }
}

beforeAll(async () => {
  stack = await startModelStack();
  queue = await TurnQueue.start(stack.db.url, stack.logger);
  for (let t = 0; t < TENANTS; t++) {
    const { tenant } = await provisionTenant(stack.db.pool, { name: `chaos-${t}` });
    for (let c = 0; c < CONVERSATIONS_PER_TENANT; c++) {
      const id = await withTenant(stack.db.pool, tenant.id, async (tx) => (await createConversation(tx, {})).id);
      conversations.push({ tenantId: tenant.id, id });
    }
  }
}, 60_000);

afterAll(async () => {
  await queue.stop();
  await stack.close();
});

describe('chaos', () => {
  it('answers every trigger exactly once while workers are killed with SIGKILL', async () => {
    await runChaos('calm');
    expectExactlyOnce(await audit());
  }, 400_000);

  it('does the same while the model API fails 10 % of calls', async () => {
    stack.fake.setFailureRate(0.1);
    await runChaos('stormy');
    stack.fake.setFailureRate(0);
    expectExactlyOnce(await audit());
  }, 400_000);
});

// Postgres itself crashes (`-m immediate`) mid-run and comes back; a third worker is started
// while it is down. No process is restarted to recover: every trigger is still answered once.
describe('chaos: Postgres crashes and restarts', () => {
  let pg: CrashablePostgres;
  let own: ModelStack;
  let ownQueue: TurnQueue;
  const convs: Array<{ tenantId: string; id: string }> = [];

  beforeAll(async () => {
    pg = await startCrashablePostgres();
    own = await startModelStack({ db: pg.db });
    ownQueue = await TurnQueue.start(own.db.url, own.logger);
    for (let t = 0; t < 3; t++) {
      const { tenant } = await provisionTenant(own.db.pool, { name: `crash-${t}` });
      for (let c = 0; c < 5; c++) convs.push({ tenantId: tenant.id, id: await withTenant(own.db.pool, tenant.id, async (tx) => (await createConversation(tx, {})).id) });
    }
  }, 120_000);

  afterAll(async () => {
    await ownQueue?.stop();
    await own?.close();
  });

  it('answers every trigger exactly once across the crash, and turns flow again within seconds', async () => {
    const env = { WORKER_CONCURRENCY: '4', TENANT_CONCURRENCY: '4', SANDBOX_MAX: '20', SANDBOX_MAX_PER_TENANT: '10' };
    const workers = [spawnWorker(own, 'crash-0', env), spawnWorker(own, 'crash-1', env)];
    const exits: Array<number | null> = [];
    const send = (round: number) =>
      Promise.all(convs.map((c) => withTenant(own.db.pool, c.tenantId, (tx) => ingestMessage(tx, ownQueue, c.id, { content: `crash round ${round}` }))));
    /** When the first turn after `since` finished, if one did. */
    const firstAnswerAfter = async (since: Date) => {
      const times = await Promise.all(
        convs.map((c) =>
          withTenant(own.db.pool, c.tenantId, async (tx) => {
            const { rows } = await tx.client.query<{ at: Date | null }>(`SELECT min(finished_at) AS at FROM turns WHERE conversation_id = $1 AND status = 'succeeded' AND finished_at > $2`, [c.id, since]);
            return rows[0]?.at?.getTime() ?? Infinity;
          }),
        ),
      );
      return Math.min(...times);
    };
    const start = new Date();
    for (let round = 0; round < 3; round++) await send(round);
    // mid-run: once turns flow, with more in flight
    await eventually(() => firstAnswerAfter(start), Number.isFinite, 60_000);
    await pg.crash();
    for (const w of workers) w.once('exit', (code) => exits.push(code));
    const late = spawnWorker(own, 'crash-2', env); // started while Postgres is down
    late.once('exit', (code) => exits.push(code));
    workers.push(late);
    await new Promise((r) => setTimeout(r, 3000)); // an outage the processes must sit through
    await pg.start();
    const back = new Date();

    for (let round = 3; round < 6; round++) await send(round);
    const first = await eventually(() => firstAnswerAfter(back), Number.isFinite, 60_000);
    expect(first).toBeLessThan(Infinity);
    console.log(`first turn answered ${((first - back.getTime()) / 1000).toFixed(1)} s after Postgres was back`);

    const pending = async () => (await audit({ pool: own.db.pool, conversations: convs })).filter((c) => c.processed < (c.users.at(-1) ?? 0)).length;
    expect(await eventually(pending, (n) => n === 0, 180_000)).toBe(0);
    expect(exits, 'no worker exited by itself').toEqual([]);
    await Promise.all(workers.map((w) => stopProcess(w)));
    expectExactlyOnce(await audit({ pool: own.db.pool, conversations: convs }));
  }, 400_000);
});
