import { appendUserMessage, createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { QUEUE_SCHEMA, RETENTION_QUEUE } from '@warren/queue';
import { provisionTenant } from '@warren/tenancy';
import { createTestDatabase, type TestDatabase, testkitLogger } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enforceRetention } from '../src/index.ts';

// Per-tenant retention against real Postgres: rows are aged by moving their timestamps back.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/** A tenant with one conversation: messages 1–3 answered (one turn over them), 4 not yet; all 40 days old. */
async function agedTenant(name: string, retention: { retainMessagesDays?: number; retainTurnsDays?: number; retainArchivesDays?: number }) {
  const { tenant } = await provisionTenant(db.pool, { name, ...retention });
  await withTenant(db.pool, tenant.id, async (tx) => {
    const conv = await createConversation(tx, {});
    for (let i = 1; i <= 4; i++) await appendUserMessage(tx, conv.id, { content: `message ${i}` });
    const q = (sql: string, params: unknown[] = []) => tx.client.query(sql, params);
    await q(`UPDATE cursors SET processed_seq = 3, seen_seq = 3`);
    await q(
      `INSERT INTO turns (id, conversation_id, kind, status, from_seq, to_seq, attempt, finished_at)
       VALUES ('turn_old', $1, 'message', 'succeeded', 0, 3, 1, now() - interval '40 days'),
              ('turn_running', $1, 'message', 'running', 3, 4, 1, NULL)`,
      [conv.id],
    );
    await q(
      `INSERT INTO archives (id, conversation_id, reason, transcript, created_at) VALUES ('arc_old', $1, 'compaction', '[]', now() - interval '40 days'),
             ('arc_new', $1, 'compaction', '[]', now())`,
      [conv.id],
    );
    await q(`INSERT INTO inbound_hooks (id, name, scheme, sealed_secret, mapping) VALUES ('hook_x', 'ci', 'github', 'sealed', '{}')`);
    await q(
      `INSERT INTO webhook_receipts (hook_id, delivery_id, source, payload, received_at)
       VALUES ('hook_x', 'old', 'github', '\\x7b7d', now() - interval '40 days'), ('hook_x', 'new', 'github', '\\x7b7d', now())`,
    );
    await q(
      `INSERT INTO webhook_endpoints (id, url, sealed_secret, cursor_xid, cursor_id) VALUES ('ep_x', 'https://r.example/', 'sealed', '0', 0)`,
    );
    await q(
      `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status, updated_at)
       VALUES ('dlv_old', 'ep_x', 1, 'message.created', '{}', 'succeeded', now() - interval '40 days'),
              ('dlv_old_pending', 'ep_x', 2, 'message.created', '{}', 'pending', now() - interval '40 days'),
              ('dlv_new', 'ep_x', 3, 'message.created', '{}', 'failed', now())`,
    );
    await q(
      `INSERT INTO webhook_attempts (delivery_id, attempt, trigger, started_at, duration_ms, status_code)
       VALUES ('dlv_old', 1, 'scheduled', now() - interval '40 days', 5, 200)`,
    );
    await q(`UPDATE messages SET created_at = now() - interval '40 days'`);
    await q(`UPDATE events SET created_at = now() - interval '40 days'`);
    await appendUserMessage(tx, conv.id, { content: 'message 5, today' });
  });
  const left = () =>
    withTenant(db.pool, tenant.id, async (tx) => ({
      messages: (await tx.client.query('SELECT seq::int FROM messages ORDER BY seq')).rows.map((r) => r.seq),
      turns: (await tx.client.query('SELECT id FROM turns ORDER BY id')).rows.map((r) => r.id),
      archives: (await tx.client.query('SELECT id FROM archives ORDER BY id')).rows.map((r) => r.id),
      events: (await tx.client.query('SELECT count(*)::int AS n FROM events')).rows[0].n,
      receipts: (await tx.client.query('SELECT delivery_id FROM webhook_receipts ORDER BY delivery_id')).rows.map((r) => r.delivery_id),
      deliveries: (await tx.client.query('SELECT id FROM webhook_deliveries ORDER BY id')).rows.map((r) => r.id),
      attempts: (await tx.client.query('SELECT count(*)::int AS n FROM webhook_attempts')).rows[0].n,
    }));
  return { left };
}

describe('retention', () => {
  it('deletes answered messages, finished turns and archives past their days; keeps unanswered, running and recent ones', async () => {
    const kept = await agedTenant('keeps-everything', {});
    const pruned = await agedTenant('prunes', { retainMessagesDays: 30, retainTurnsDays: 30, retainArchivesDays: 30 });
    const partly = await agedTenant('prunes-messages-only', { retainMessagesDays: 60 });
    await enforceRetention(db.pool, testkitLogger);

    const everything = {
      messages: [1, 2, 3, 4, 5],
      turns: ['turn_old', 'turn_running'],
      archives: ['arc_new', 'arc_old'],
      receipts: ['new', 'old'],
      events: 5,
      deliveries: ['dlv_new', 'dlv_old', 'dlv_old_pending'],
      attempts: 1,
    };
    expect(await kept.left()).toEqual(everything);
    // message 4 is 40 days old but unanswered: the next turn's input
    // a delivery still to be sent is kept, however old
    expect(await pruned.left()).toEqual({
      messages: [4, 5],
      turns: ['turn_running'],
      archives: ['arc_new'],
      receipts: ['new'],
      events: 1,
      deliveries: ['dlv_new', 'dlv_old_pending'],
      attempts: 0,
    });
    expect(await partly.left()).toEqual(everything); // 60 days keeps the 40-day-old ones
  });

  it('runs hourly: `warren migrate` (installQueue) leaves a schedule for the retention queue', async () => {
    const { rows } = await db.pool.query(`SELECT name, cron FROM ${QUEUE_SCHEMA}.schedule WHERE name = $1`, [RETENTION_QUEUE]);
    expect(rows).toEqual([{ name: RETENTION_QUEUE, cron: '23 * * * *' }]);
  });
});
