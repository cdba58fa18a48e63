import { createTestDatabase, type TestDatabase } from '@warren/testkit';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What pg-boss 12's queue policies really do, measured against real Postgres before the turn
// pipeline relies on any of them. Each test names the behaviour it pins down; if a pg-boss
// upgrade changes one, this file says which assumption broke.

let db: TestDatabase;
let boss: PgBoss;
let queueCount = 0;

async function queue(options: Parameters<PgBoss['createQueue']>[1]): Promise<string> {
  const name = `policy_probe_${++queueCount}`;
  await boss.createQueue(name, { retryLimit: 0, ...options });
  return name;
}

const keysOf = (jobs: Array<{ data: unknown }>) => jobs.map((j) => (j.data as { key: string }).key);

beforeAll(async () => {
  db = await createTestDatabase();
  boss = new PgBoss({ connectionString: db.url, schema: 'pgboss', max: 10, supervise: false, schedule: false, migrate: false });
  boss.on('error', () => {});
  await boss.start();
});
afterAll(async () => {
  await boss.stop({ graceful: false });
  await db.drop();
});

describe('pg-boss 12 policies, as measured', () => {
  it('stately: one queued and one active job per key; extra sends while queued are dropped (coalescing)', async () => {
    const q = await queue({ policy: 'stately' });
    expect(await boss.send(q, { key: 'a1' }, { singletonKey: 'conv-a' })).toBeTruthy();
    expect(await boss.send(q, { key: 'a2' }, { singletonKey: 'conv-a' })).toBeNull();
    expect(keysOf(await boss.fetch(q))).toEqual(['a1']);
    expect(await boss.send(q, { key: 'a3' }, { singletonKey: 'conv-a' })).toBeTruthy(); // queued behind the active one
    expect(await boss.send(q, { key: 'a4' }, { singletonKey: 'conv-a' })).toBeNull();
    expect(keysOf(await boss.fetch(q))).toEqual([]); // a3 waits: a1 is still active
  });

  it('stately: a key whose job is active does not hold back other keys queued after it', async () => {
    const q = await queue({ policy: 'stately' });
    await boss.send(q, { key: 'a1' }, { singletonKey: 'conv-a' });
    const [active] = await boss.fetch(q);
    await boss.send(q, { key: 'a2' }, { singletonKey: 'conv-a' }); // head of the queue, blocked by a1
    await boss.send(q, { key: 'b1' }, { singletonKey: 'conv-b' });
    const fetched = keysOf(await boss.fetch(q, { batchSize: 5 }));
    // The known risk is a fetch that stalls at a blocked head; record what this version does.
    expect(fetched).toEqual(['b1']);
    await boss.complete(q, active!.id);
    expect(keysOf(await boss.fetch(q))).toEqual(['a2']);
  });

  it('key_strict_fifo: one job per key at a time, in order, while other keys flow', async () => {
    const q = await queue({ policy: 'key_strict_fifo' });
    for (const key of ['a1', 'a2', 'b1']) await boss.send(q, { key }, { singletonKey: `conv-${key[0]}` });
    const first = await boss.fetch(q, { batchSize: 5 });
    expect(keysOf(first).sort()).toEqual(['a1', 'b1']);
    expect(keysOf(await boss.fetch(q, { batchSize: 5 }))).toEqual([]);
    await boss.complete(q, first.find((j) => (j.data as { key: string }).key === 'a1')!.id);
    expect(keysOf(await boss.fetch(q))).toEqual(['a2']);
  });

  it('key_strict_fifo: a job that failed for good holds back its key’s successors', async () => {
    const q = await queue({ policy: 'key_strict_fifo' });
    await boss.send(q, { key: 'a1' }, { singletonKey: 'conv-a' });
    await boss.send(q, { key: 'a2' }, { singletonKey: 'conv-a' });
    const [a1] = await boss.fetch(q);
    await boss.fail(q, a1!.id, { reason: 'probe' });
    expect(keysOf(await boss.fetch(q))).toEqual([]); // a dead turn would block its conversation
  });

  it('priority: higher first across keys', async () => {
    const q = await queue({ policy: 'standard' });
    await boss.send(q, { key: 'message' }, { priority: 0 });
    await boss.send(q, { key: 'task' }, { priority: 10 });
    expect(keysOf(await boss.fetch(q))).toEqual(['task']);
  });

  it('groupConcurrency: at most N active jobs per group id across fetches', async () => {
    const q = await queue({ policy: 'standard' });
    for (const key of ['t1-a', 't1-b', 't1-c', 't2-a']) await boss.send(q, { key }, { group: { id: key.slice(0, 2) } });
    const first = keysOf(await boss.fetch(q, { batchSize: 10, groupConcurrency: 2 }));
    expect(first.filter((k) => k.startsWith('t1'))).toHaveLength(2);
    expect(first).toContain('t2-a');
    expect(keysOf(await boss.fetch(q, { batchSize: 10, groupConcurrency: 2 }))).toEqual([]);
  });

  it('groupConcurrency is checked at fetch time only: concurrent fetches overrun it', async () => {
    // Each fetch counts the group's active jobs before any of the others commits, so eight
    // workers fetching at once can all claim a job of a group capped at 1. The per-tenant cap
    // therefore lives in the turn claim (packages/turns, tenant-slots.ts); this filter only keeps
    // workers from fetching jobs of a tenant that is visibly full.
    let worst = 0;
    for (let round = 0; round < 10 && worst <= 1; round++) {
      const q = await queue({ policy: 'standard' });
      for (let i = 0; i < 8; i++) await boss.send(q, { key: `t1-${i}` }, { group: { id: 't1' } });
      const fetched = await Promise.all(Array.from({ length: 8 }, () => boss.fetch(q, { groupConcurrency: 1 })));
      worst = Math.max(worst, fetched.flat().length);
    }
    expect(worst).toBeGreaterThan(1);
  });
});
