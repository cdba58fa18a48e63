import { createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { provisionTenant } from '@warren/tenancy';
import { type CrashablePostgres, type ModelStack, startCrashablePostgres, startModelStack } from '@warren/testkit';
import { ingestMessage } from '@warren/turns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, spawnWorker, stopProcess } from './helpers.ts';

// Chaos: two worker processes, 500 triggers over 50 conversations of 5 tenants, each asking for
// three send_message outputs before the answer; workers killed with SIGKILL at random moments
// and restarted. Afterwards the database must show every trigger answered exactly once and every
// output stored once, in the agent's order: nothing lost, nothing duplicated.

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

/** The three send_message outputs a trigger asks for, in order. */
const partsOf = (trigger: string) => ['p1', 'p2', 'p3'].map((p) => `${p} of ${trigger}`);
const script = (trigger: string) =>
  [trigger, ...partsOf(trigger).map((text) => `#fake tool send_message ${JSON.stringify({ text })}`)].join('\n');

/** Per conversation: its triggers, the turns that sent output with their covered ranges and outputs, and its cursor. */
async function audit(on = { pool: stack.db.pool, conversations }) {
  const report = [];
  for (const c of on.conversations) {
    report.push(
      await withTenant(on.pool, c.tenantId, async (tx) => {
        const q = <T>(sql: string) => tx.client.query(sql, [c.id]).then((r) => r.rows as T[]);
        const users = await q<{ seq: number; trigger: string; at: Date }>(
          `SELECT seq::int, split_part(content, E'\n', 1) AS trigger, created_at AS at FROM messages WHERE conversation_id = $1 AND role = 'user' ORDER BY seq`,
        );
        const turns = await q<{ id: string; status: string; from: number; to: number; finishedAt: Date }>(
          `SELECT id, status, from_seq::int AS "from", to_seq::int AS "to", finished_at AS "finishedAt"
             FROM turns WHERE conversation_id = $1 AND output_sent ORDER BY from_seq`,
        );
        const outputs = await q<{ turnId: string; outSeq: number; content: string }>(
          `SELECT turn_id AS "turnId", out_seq AS "outSeq", content FROM messages WHERE conversation_id = $1 AND role = 'assistant' ORDER BY turn_id, out_seq`,
        );
        const [cursor] = await q<{ p: number }>('SELECT processed_seq::int AS p FROM cursors WHERE conversation_id = $1');
        return { users, turns, outputs, processed: cursor!.p };
      }),
    );
  }
  return report;
}
type Audit = Awaited<ReturnType<typeof audit>>;

async function runChaos(label: string) {
  const workers = Array.from({ length: WORKERS }, (_, n) => startWorker(n));
  let chaos = true;
  let kills = 0;
  let lastKill = Date.now();
  const killer = (async () => {
    while (chaos) {
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500));
      if (!chaos) break;
      const n = Math.floor(Math.random() * WORKERS);
      await stopProcess(workers[n]!);
      lastKill = Date.now();
      kills++;
      workers[n] = startWorker(n);
    }
  })();

  // Triggers arrive over time, interleaved across conversations; each asks for three send_message outputs.
  for (let round = 0; round < MESSAGES_PER_CONVERSATION; round++) {
    await Promise.all(
      conversations.map((c, n) =>
        withTenant(stack.db.pool, c.tenantId, (tx) => ingestMessage(tx, queue, c.id, { content: script(`${label} c${n} r${round}`) })),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
  }

  // Keep killing for a while, then let the workers finish: until every conversation is processed.
  await new Promise((r) => setTimeout(r, 3000));
  chaos = false;
  await killer;
  await expect
    .poll(async () => (await audit()).filter((c) => c.processed < (c.users.at(-1)?.seq ?? 0)).length, { timeout: 240_000, interval: 1000 })
    .toBe(0);
  await Promise.all(workers.map((w) => stopProcess(w)));
  expect(kills).toBeGreaterThan(0);
  return { kills, lastKill };
}

/** Figures for the closing note, not asserted: how long triggers waited and how long the queue took to drain. */
function printFigures(label: string, report: Audit, { kills, lastKill }: { kills: number; lastKill: number }) {
  const answered = report.flatMap((c) =>
    c.users
      .filter((u) => u.trigger.startsWith(`${label} `))
      .map((u) => ({ trigger: u, turn: c.turns.find((t) => t.from < u.seq && u.seq <= t.to) })),
  );
  const turns = [...new Set(answered.flatMap((a) => a.turn ?? []))];
  const waits = answered.map((a) => (a.turn?.finishedAt.getTime() ?? Number.NaN) - a.trigger.at.getTime());
  const ids = new Set(turns.map((t) => t.id));
  console.table([
    {
      run: label,
      triggers: answered.length,
      kills,
      'turns ok': turns.filter((t) => t.status === 'succeeded').length,
      'turns failed after output': turns.filter((t) => t.status !== 'succeeded').length,
      outputs: report.reduce((n, c) => n + c.outputs.filter((o) => ids.has(o.turnId)).length, 0),
      'longest trigger → reply (s)': Math.max(...waits) / 1000,
      'drain after last kill (s)': (Math.max(...turns.map((t) => t.finishedAt.getTime())) - lastKill) / 1000,
    },
  ]);
}

function expectExactlyOnce(report: Audit) {
  for (const c of report) {
    // nothing lost: every user message lies in the range of a turn that answered
    for (const { seq } of c.users) {
      const answering = c.turns.filter((t) => t.from < seq && seq <= t.to);
      expect(answering, `message ${seq} answered by ${answering.length} turns`).toHaveLength(1);
    }
    // nothing duplicated: answering turns cover disjoint ranges
    for (let i = 1; i < c.turns.length; i++) expect(c.turns[i]!.from).toBeGreaterThanOrEqual(c.turns[i - 1]!.to);
    // every output once, in the agent's order: a turn that succeeded stored the parts of each trigger it
    // covers, then its answer; one that failed after output (killed or a model error midway) a prefix of that
    for (const t of c.turns) {
      const parts = c.users.filter((u) => t.from < u.seq && u.seq <= t.to).flatMap((u) => partsOf(u.trigger));
      const stored = c.outputs.filter((o) => o.turnId === t.id);
      expect(
        stored.map((o) => o.outSeq),
        `out_seq of ${t.id}`,
      ).toEqual(stored.map((_, i) => i));
      const contents = stored.map((o) => o.content);
      if (t.status === 'succeeded') expect(contents).toEqual([...parts, expect.stringMatching(/^tool result: sent/)]);
      else expect(contents, `outputs of failed ${t.id}`).toEqual(parts.slice(0, contents.length));
    }
    // and no part stored by two turns (answers may repeat: they echo the tool results)
    const texts = c.outputs.map((o) => o.content).filter((text) => !text.startsWith('tool result: '));
    expect(texts.length).toBe(new Set(texts).size);
    expect(c.processed).toBeGreaterThanOrEqual(c.users.at(-1)!.seq);
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
    const run = await runChaos('calm');
    const report = await audit();
    printFigures('calm', report, run);
    expectExactlyOnce(report);
  }, 400_000);

  it('does the same while the model API fails 10 % of calls', async () => {
    stack.fake.setFailureRate(0.1);
    const run = await runChaos('stormy');
    stack.fake.setFailureRate(0);
    const report = await audit();
    printFigures('stormy', report, run);
    expectExactlyOnce(report);
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
      for (let c = 0; c < 5; c++)
        convs.push({
          tenantId: tenant.id,
          id: await withTenant(own.db.pool, tenant.id, async (tx) => (await createConversation(tx, {})).id),
        });
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
      Promise.all(
        convs.map((c, n) =>
          withTenant(own.db.pool, c.tenantId, (tx) => ingestMessage(tx, ownQueue, c.id, { content: script(`crash c${n} r${round}`) })),
        ),
      );
    /** When the first turn after `since` finished, if one did. */
    const firstAnswerAfter = async (since: Date) => {
      const times = await Promise.all(
        convs.map((c) =>
          withTenant(own.db.pool, c.tenantId, async (tx) => {
            const { rows } = await tx.client.query<{ at: Date | null }>(
              `SELECT min(finished_at) AS at FROM turns WHERE conversation_id = $1 AND status = 'succeeded' AND finished_at > $2`,
              [c.id, since],
            );
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

    const pending = async () =>
      (await audit({ pool: own.db.pool, conversations: convs })).filter((c) => c.processed < (c.users.at(-1)?.seq ?? 0)).length;
    expect(await eventually(pending, (n) => n === 0, 180_000)).toBe(0);
    // turns caught by the crash wait for their jobs' heartbeats to lapse and their retries' backoff
    console.log(`all answered ${((Date.now() - back.getTime()) / 1000).toFixed(1)} s after Postgres was back`);
    expect(exits, 'no worker exited by itself').toEqual([]);
    await Promise.all(workers.map((w) => stopProcess(w)));
    expectExactlyOnce(await audit({ pool: own.db.pool, conversations: convs }));
  }, 400_000);
});
