import { AppError, type ProblemKind } from '@warren/core';
import { asAppRole, type TenantTx } from './tenant-tx.ts';

/** A control table that maps ids of a tenant's things to the tenant (nothing secret), and the quota that bounds them. */
export interface ControlIndex {
  table: 'inbound_hooks' | 'webhook_endpoints';
  /** The control.tenants column holding the tenant's own quota, and its name in the API. */
  maxColumn: 'max_inbound_hooks' | 'max_webhook_endpoints';
  quota: string;
  problem: ProblemKind;
  /** What the quota counts, for the problem's detail. */
  what: string;
}

/**
 * Adds `id` to a control index in the tenant's transaction, unless the tenant already holds its
 * quota (its own, else `defaultMax`): the tenant's control row is locked while counting, so two
 * creations cannot both take the last slot.
 */
export async function addToControlIndex(tx: TenantTx, index: ControlIndex, id: string, defaultMax: number): Promise<void> {
  await asAppRole(tx, async () => {
    const { rows } = await tx.client.query<{ max: number | null; held: number }>(
      `SELECT t.${index.maxColumn} AS max,
              (SELECT count(*)::int FROM control.${index.table} i WHERE i.tenant_id = t.id) AS held
         FROM control.tenants t WHERE t.id = $1 FOR NO KEY UPDATE`,
      [tx.tenantId],
    );
    const max = rows[0]?.max ?? defaultMax;
    if ((rows[0]?.held ?? 0) >= max) {
      throw new AppError(index.problem, `this tenant may hold ${max} ${index.what}`, { quota: index.quota, limit: max });
    }
    await tx.client.query(`INSERT INTO control.${index.table} (id, tenant_id) VALUES ($1, $2)`, [id, tx.tenantId]);
  });
}

/** Removes `id` from a control index, in the transaction that deletes the thing itself. */
export async function removeFromControlIndex(tx: TenantTx, index: ControlIndex, id: string): Promise<void> {
  await asAppRole(tx, () => tx.client.query(`DELETE FROM control.${index.table} WHERE id = $1 AND tenant_id = $2`, [id, tx.tenantId]));
}
