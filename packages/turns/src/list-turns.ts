import { notFound } from '@warren/core';
import { type TenantTx, tenantSchema } from '@warren/db';
import { and, desc, eq, lt, sql } from 'drizzle-orm';

const { turns } = tenantSchema;

export type Turn = typeof turns.$inferSelect;

/** A conversation's turns, newest first; `before` is the last id of the previous page. */
export function listTurns(tx: TenantTx, conversationId: string, page: { before?: string | undefined; limit: number }): Promise<Turn[]> {
  return tx.db
    .select()
    .from(turns)
    .where(and(eq(turns.conversationId, conversationId), page.before ? lt(turns.id, page.before) : undefined))
    .orderBy(desc(turns.id))
    .limit(page.limit);
}

export async function getTurn(tx: TenantTx, id: string): Promise<Turn> {
  const [row] = await tx.db.select().from(turns).where(eq(turns.id, id));
  if (!row) throw notFound('turn');
  return row;
}

/** The tenant's dead-lettered turns (the queue gave up on them), most recently failed first. */
export function listDeadTurns(tx: TenantTx, limit: number): Promise<Turn[]> {
  return tx.db
    .select()
    .from(turns)
    .where(and(eq(turns.status, 'failed'), sql`${turns.error}->>'kind' = 'dead_lettered'`))
    .orderBy(desc(turns.finishedAt))
    .limit(limit);
}
