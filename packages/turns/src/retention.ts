import type { Logger } from '@warren/core';
import { controlDb, controlSchema, type Pool, type TenantTx, withTenant } from '@warren/db';
import { isNotNull, or } from 'drizzle-orm';

/** Rows deleted per statement, each in its own short transaction, so a large backlog holds no long locks. */
const BATCH = 1000;

export interface RetentionDays {
  retainMessagesDays: number | null;
  retainTurnsDays: number | null;
  retainArchivesDays: number | null;
}

/**
 * What each retention setting deletes, older than its days. Messages only once answered (at or
 * below the conversation's processed cursor: an unanswered message is the next turn's input);
 * turns only once finished; archives by age. Inbound webhook receipts (each a message's raw
 * payload) go with the messages' days: past a signature's 5 minutes a receipt no longer guards
 * against a replay, except for GitHub deliveries, which sign no timestamp.
 */
const sweeps: Array<{ days: keyof RetentionDays; table: string; sql: string }> = [
  {
    days: 'retainMessagesDays',
    table: 'messages',
    sql: `DELETE FROM messages WHERE id IN (
            SELECT m.id FROM messages m JOIN cursors c ON c.conversation_id = m.conversation_id
             WHERE m.created_at < now() - make_interval(days => $1) AND m.seq <= c.processed_seq LIMIT ${BATCH})`,
  },
  {
    days: 'retainMessagesDays',
    table: 'webhook_receipts',
    sql: `DELETE FROM webhook_receipts WHERE (hook_id, delivery_id) IN (
            SELECT hook_id, delivery_id FROM webhook_receipts WHERE received_at < now() - make_interval(days => $1) LIMIT ${BATCH})`,
  },
  {
    // the event stream's history: a client resuming from before it gets a 400 and starts afresh
    days: 'retainMessagesDays',
    table: 'events',
    sql: `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < now() - make_interval(days => $1) LIMIT ${BATCH})`,
  },
  {
    // outbound webhook deliveries once finished, with their attempts (cascade)
    days: 'retainMessagesDays',
    table: 'webhook_deliveries',
    sql: `DELETE FROM webhook_deliveries WHERE id IN (
            SELECT id FROM webhook_deliveries WHERE status IN ('succeeded', 'failed') AND updated_at < now() - make_interval(days => $1) LIMIT ${BATCH})`,
  },
  {
    days: 'retainTurnsDays',
    table: 'turns',
    sql: `DELETE FROM turns WHERE id IN (
            SELECT id FROM turns WHERE status IN ('succeeded', 'failed') AND finished_at < now() - make_interval(days => $1) LIMIT ${BATCH})`,
  },
  {
    days: 'retainArchivesDays',
    table: 'archives',
    sql: `DELETE FROM archives WHERE id IN (SELECT id FROM archives WHERE created_at < now() - make_interval(days => $1) LIMIT ${BATCH})`,
  },
];

/** Applies one tenant's retention settings; returns the rows deleted per table. */
export async function applyRetention(pool: Pool, tenantId: string, days: RetentionDays): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const sweep of sweeps) {
    const keep = days[sweep.days];
    if (keep === null) continue;
    let total = 0;
    for (let n = BATCH; n === BATCH; total += n) {
      n = await withTenant(pool, tenantId, async (tx: TenantTx) => (await tx.client.query(sweep.sql, [keep])).rowCount ?? 0);
    }
    deleted[sweep.table] = total;
  }
  return deleted;
}

/** The retention job: every tenant with a retention setting (the others keep everything and cost nothing). */
export async function enforceRetention(pool: Pool, logger: Logger): Promise<void> {
  const { tenants } = controlSchema;
  const due = await controlDb(pool)
    .select({
      id: tenants.id,
      retainMessagesDays: tenants.retainMessagesDays,
      retainTurnsDays: tenants.retainTurnsDays,
      retainArchivesDays: tenants.retainArchivesDays,
    })
    .from(tenants)
    .where(or(isNotNull(tenants.retainMessagesDays), isNotNull(tenants.retainTurnsDays), isNotNull(tenants.retainArchivesDays)));
  for (const { id, ...days } of due) {
    const deleted = await applyRetention(pool, id, days);
    if (Object.values(deleted).some((n) => n > 0)) logger.info({ tenantId: id, deleted }, 'retention applied');
  }
}
