import { appendUserMessage, createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { createTestDatabase, type TestDatabase, testkitLogger } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abandonTurns, type ClaimedTurn, claimTurn, recordOutput, renewLease, tenantHasFreeSlot, WorkerLiveness } from '../src/index.ts';

// The per-tenant turn cap and the leases behind it, against real Postgres: claims of one tenant
// race from many connections, as workers' do.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function tenantWith(conversations: number) {
  const { tenant } = await provisionTenant(db.pool, { name: 'slots' });
  const t = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(db.pool, tenant.id, fn);
  const ids: string[] = [];
  for (let i = 0; i < conversations; i++) {
    ids.push(
      await t(async (tx) => {
        const id = (await createConversation(tx, {})).id;
        await appendUserMessage(tx, id, { content: 'hello' });
        return id;
      }),
    );
  }
  /** What a worker does with a job: take a slot and claim in one transaction. */
  const claimWithCap = (id: string, cap: number, jobId = `job-${id}`, workerId?: string) =>
    t(async (tx) =>
      (await tenantHasFreeSlot(tx, id, cap)) ? claimTurn(tx, { conversationId: id, jobId, kind: 'message', workerId }) : 'tenant-busy',
    );
  return { t, ids, claimWithCap };
}

const expireLeases = (tx: Parameters<Parameters<typeof withTenant>[2]>[0], id: string) =>
  tx.client.query(`UPDATE turns SET lease_expires_at = now() - interval '1 second' WHERE conversation_id = $1`, [id]);

describe('per-tenant turn cap', () => {
  it('holds under concurrent claims: exactly `cap` of 8 racing conversations start', async () => {
    const { ids, claimWithCap } = await tenantWith(8);
    const results = await Promise.all(ids.map((id) => claimWithCap(id, 2)));
    expect(results.filter((r) => r !== 'tenant-busy')).toHaveLength(2);
    expect(results.filter((r) => r === 'tenant-busy')).toHaveLength(6);
  });

  it('does not count other tenants', async () => {
    const a = await tenantWith(1);
    const b = await tenantWith(1);
    expect(await a.claimWithCap(a.ids[0]!, 1)).toMatchObject({ attempt: 1 });
    expect(await b.claimWithCap(b.ids[0]!, 1)).toMatchObject({ attempt: 1 });
  });

  it("a dead worker's turn frees its tenant's slot within seconds, not half a minute", async () => {
    const { ids, claimWithCap } = await tenantWith(2);
    const [dead, waiting] = ids as [string, string];
    expect(await claimWithCap(dead, 1)).toMatchObject({ attempt: 1 }); // and never renewed
    const claimed = Date.now();
    // the claim retries as a busy job is sent again; the lease, not the queue's heartbeat, decides
    await expect.poll(() => claimWithCap(waiting, 1), { timeout: 10_000, interval: 250 }).toMatchObject({ attempt: 1 });
    console.log(`slot of a turn never renewed free after ${((Date.now() - claimed) / 1000).toFixed(1)} s`);
  }, 20_000);

  it("a worker whose liveness lock is gone holds no slot, though its turn's lease is still live", async () => {
    const { ids, claimWithCap } = await tenantWith(2);
    const [held, waiting] = ids as [string, string];
    const liveness = new WorkerLiveness(db.pool, 'wkr_slots', testkitLogger);
    await liveness.start();
    await expect(new WorkerLiveness(db.pool, 'wkr_slots', testkitLogger).start()).rejects.toThrow(/another live worker/);
    expect(await claimWithCap(held, 1, 'job-held', 'wkr_slots')).toMatchObject({ attempt: 1 });
    expect(await claimWithCap(waiting, 1)).toBe('tenant-busy'); // alive: its slot counts
    await liveness.stop(); // as its connection closing on a SIGKILL would
    expect(await claimWithCap(waiting, 1)).toMatchObject({ attempt: 1 });
  });

  it('a turn resumed after its worker died keeps its slot; a lapsed lease frees it', async () => {
    const { t, ids, claimWithCap } = await tenantWith(2);
    const [first, second] = ids as [string, string];
    const dead = await claimWithCap(first, 1);
    expect(await claimWithCap(second, 1)).toBe('tenant-busy');
    // the queue hands the dead worker's job on: the same conversation may resume at the cap
    expect(await claimWithCap(first, 1, 'job-retry')).toMatchObject({ turnId: (dead as { turnId: string }).turnId, attempt: 2 });
    await t((tx) => expireLeases(tx, first));
    expect(await claimWithCap(second, 1)).toMatchObject({ attempt: 1 });
  });

  it('renewing fails once the turn was taken over', async () => {
    const { t, ids, claimWithCap } = await tenantWith(1);
    const first = (await claimWithCap(ids[0]!, 5)) as ClaimedTurn;
    expect(await t((tx) => renewLease(tx, first))).toBe(true);
    await claimWithCap(ids[0]!, 5, 'job-retry'); // attempt 2
    expect(await t((tx) => renewLease(tx, first))).toBe(false);
  });
});

describe('abandoning a dead-lettered turn', () => {
  const turnsOf = (t: Awaited<ReturnType<typeof tenantWith>>['t'], id: string) =>
    t(async (tx) => ({
      turns: (await tx.client.query('SELECT status, error FROM turns WHERE conversation_id = $1', [id])).rows,
      processed: (await tx.client.query('SELECT processed_seq::int AS p FROM cursors WHERE conversation_id = $1', [id])).rows[0].p,
    }));

  it('waits while a worker holds the lease, leaves a turn with attempts left to run again, then marks it failed and moves past it', async () => {
    const { t, ids, claimWithCap } = await tenantWith(1);
    const id = ids[0]!;
    await claimWithCap(id, 5);
    expect(await t((tx) => abandonTurns(tx, id, 3))).toBe('live');
    await t((tx) => expireLeases(tx, id));
    // attempt 1 of 3 died with its worker: the turn may run again
    expect(await t((tx) => abandonTurns(tx, id, 3))).toBe('retry');
    expect((await turnsOf(t, id)).turns).toEqual([{ status: 'running', error: null }]);
    // attempts used up
    expect(await t((tx) => abandonTurns(tx, id, 1))).toBe('closed');
    expect(await turnsOf(t, id)).toEqual({
      turns: [{ status: 'failed', error: { message: 'the queue gave up on this turn after 1 attempt(s)', kind: 'dead_lettered' } }],
      processed: 1,
    });
    expect(await t((tx) => abandonTurns(tx, id, 1))).toBe('none');
  });

  it('counts output already sent as processed too', async () => {
    const { t, ids, claimWithCap } = await tenantWith(1);
    const id = ids[0]!;
    const turn = (await claimWithCap(id, 5)) as ClaimedTurn;
    await t((tx) => recordOutput(tx, turn, 0, 'partial'));
    await t((tx) => expireLeases(tx, id));
    expect(await t((tx) => abandonTurns(tx, id, 3))).toBe('closed');
    expect((await turnsOf(t, id)).processed).toBe(1);
  });
});
