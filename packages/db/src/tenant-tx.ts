import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Pool, PoolClient } from './pool.ts';

/** Drizzle bound to one tenant transaction. Query-builder only: no relational schema to rebuild per transaction. */
export type TenantDb = NodePgDatabase;

/** A transaction running as one tenant's role with search_path on its schema. */
export interface TenantTx {
  readonly tenantId: string;
  readonly db: TenantDb;
  readonly client: PoolClient;
}

const tenantIdPattern = /^ten_[0-7][0-9a-hjkmnp-tv-z]{25}$/;

/** The schema (and role) that holds a tenant's data, derived from its id so no lookup is needed. */
export function tenantSchemaName(tenantId: string): string {
  if (!tenantIdPattern.test(tenantId)) throw new Error(`not a tenant id: ${JSON.stringify(tenantId)}`);
  return `t_${tenantId.slice(4)}`;
}

/**
 * Statements that make the current transaction act as the tenant. The role change is the
 * isolation: the tenant role holds rights on its own schema only, so a query that names
 * another schema (or reaches one through search_path or a function) fails with
 * "permission denied" instead of leaking rows.
 */
export function enterTenantSql(schemaName: string): string {
  return `SET LOCAL ROLE "${schemaName}"; SET LOCAL search_path = "${schemaName}"`;
}

/**
 * Runs `fn` in one transaction as the tenant; it commits when `fn` resolves and rolls back when
 * it throws. The pool pipelines: BEGIN and the role switch are sent without waiting, so they
 * share a round trip with `fn`'s first query. Should they fail, the transaction is aborted and
 * every query of `fn` fails with it, so nothing ever runs outside the tenant's role.
 */
export async function withTenant<T>(pool: Pool, tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
  const schemaName = tenantSchemaName(tenantId);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // Settles to its error instead of rejecting, so it is looked at once `fn` is done, whichever
    // way `fn` ends (a rejection left waiting meanwhile would count as unhandled).
    const entered = client.query(`BEGIN; ${enterTenantSql(schemaName)}`).then(
      () => undefined,
      (err: unknown) => err,
    );
    try {
      const result = await fn({ tenantId, client, db: drizzle({ client }) });
      const enterFailed = await entered;
      if (enterFailed) throw enterFailed;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      // When entering failed, `fn`'s own error is only "current transaction is aborted": the cause goes on.
      throw (await entered) ?? err;
    }
  } finally {
    // A client whose rollback failed is in an unknown state: destroy it rather than reuse it.
    client.release(broken);
  }
}

/**
 * Runs `fn` as the app role inside a tenant transaction, for the one write a tenant role must
 * not be able to make itself: a job in the queue schema, committed with the tenant's data.
 * The tenant role is back in force when `fn` returns; if `fn` fails, the transaction is
 * aborted and rolls back as a whole.
 */
export async function asAppRole<T>(tx: TenantTx, fn: () => Promise<T>): Promise<T> {
  await tx.client.query('SET LOCAL ROLE NONE');
  const result = await fn();
  await tx.client.query(`SET LOCAL ROLE "${tenantSchemaName(tx.tenantId)}"`);
  return result;
}
