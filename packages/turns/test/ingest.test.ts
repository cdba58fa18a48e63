import { createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { TURN_READY_CHANNEL, TurnQueue } from '@warren/queue';
import { provisionTenant } from '@warren/tenancy';
import { createTestDatabase, type TestDatabase, testkitLogger } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestMessage } from '../src/index.ts';

let db: TestDatabase;
let queue: TurnQueue;
let tenantId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  queue = await TurnQueue.start(db.url, testkitLogger);
  tenantId = (await provisionTenant(db.pool, { name: 'ingest' })).tenant.id;
});
afterAll(async () => {
  await queue.stop();
  await db.drop();
});

const conversation = (trigger: { triggerMode: 'always' | 'mention' | 'never'; assistantName?: string }) =>
  withTenant(db.pool, tenantId, async (tx) => (await createConversation(tx, trigger)).id);
const ingest = (conversationId: string, content: string) =>
  withTenant(db.pool, tenantId, (tx) => ingestMessage(tx, queue, conversationId, { content }));
const turnJobs = async (conversationId: string) =>
  (
    await db.pool.query<{ state: string; data: unknown; priority: number }>(
      `SELECT state, data, priority FROM pgboss.job WHERE name = 'turn' AND singleton_key = $1`,
      [conversationId],
    )
  ).rows;

describe('ingestMessage', () => {
  it('commits a turn job with a triggering message, keyed by its conversation', async () => {
    const id = await conversation({ triggerMode: 'always' });
    const { message, triggered } = await ingest(id, 'hello');
    expect(triggered).toBe(true);
    expect(message.seq).toBe(1);
    expect(await turnJobs(id)).toEqual([{ state: 'created', data: { tenantId, conversationId: id, kind: 'message' }, priority: 0 }]);
  });

  it('coalesces triggers into the turn already queued for the conversation', async () => {
    const id = await conversation({ triggerMode: 'always' });
    for (const content of ['one', 'two', 'three']) await ingest(id, content);
    expect(await turnJobs(id)).toHaveLength(1);
  });

  it('announces a job on TURN_READY_CHANNEL once it is committed, and not a coalesced send', async () => {
    const listener = await db.pool.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.channel));
    await listener.query(`LISTEN ${TURN_READY_CHANNEL}`);
    try {
      const id = await conversation({ triggerMode: 'always' });
      await ingest(id, 'first'); // a new job
      await ingest(id, 'second'); // coalesced into it
      await ingest(await conversation({ triggerMode: 'never' }), 'no trigger');
      await listener.query('SELECT 1'); // notifications committed before this round trip have arrived
      expect(heard).toEqual([TURN_READY_CHANNEL]);
    } finally {
      await listener.query(`UNLISTEN ${TURN_READY_CHANNEL}`);
      listener.release();
    }
  });

  it('stores non-triggering messages without a job (context for the next turn)', async () => {
    const id = await conversation({ triggerMode: 'mention', assistantName: 'Andy' });
    expect((await ingest(id, 'The build is broken')).triggered).toBe(false);
    expect((await ingest(id, 'Yeah, the tests fail too')).triggered).toBe(false);
    expect(await turnJobs(id)).toEqual([]);
    expect((await ingest(id, '@Andy can you help debug?')).triggered).toBe(true);
    expect(await turnJobs(id)).toHaveLength(1);
    const never = await conversation({ triggerMode: 'never' });
    await ingest(never, 'Andy!');
    expect(await turnJobs(never)).toEqual([]);
  });

  it('rolls the job back with the message', async () => {
    const id = await conversation({ triggerMode: 'always' });
    await expect(
      withTenant(db.pool, tenantId, async (tx) => {
        await ingestMessage(tx, queue, id, { content: 'doomed' });
        throw new Error('after the enqueue');
      }),
    ).rejects.toThrow('after the enqueue');
    expect(await turnJobs(id)).toEqual([]);
    const count = await withTenant(
      db.pool,
      tenantId,
      async (tx) => (await tx.client.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [id])).rows[0].n,
    );
    expect(count).toBe(0);
  });

  it('is back in the tenant role after the enqueue', async () => {
    const id = await conversation({ triggerMode: 'always' });
    const after = await withTenant(db.pool, tenantId, async (tx) => {
      await ingestMessage(tx, queue, id, { content: 'x' });
      const role = (await tx.client.query('SELECT current_user AS u')).rows[0].u as string;
      await tx.client.query('SAVEPOINT probe');
      const control = await tx.client.query('SELECT 1 FROM control.tenants').then(
        () => 'readable',
        (err: Error) => err.message,
      );
      await tx.client.query('ROLLBACK TO SAVEPOINT probe');
      return { role, control };
    });
    expect(after.role).toBe(`t_${tenantId.slice(4)}`);
    expect(after.control).toMatch(/permission denied/);
  });
});
