import { getConversation } from '@warren/conversations';
import { AppError, newId, notFound } from '@warren/core';
import { sealSecret } from '@warren/credentials';
import { asAppRole, type TenantTx, tenantSchema } from '@warren/db';
import { asc, eq, gt } from 'drizzle-orm';
import { type HookMapping, hookMappingSchema } from './mapping.ts';
import { type HookScheme, newHookSecret } from './signature.ts';

const { inboundHooks } = tenantSchema;

export interface InboundHook {
  id: string;
  name: string;
  scheme: HookScheme;
  mapping: HookMapping;
  createdAt: Date;
  updatedAt: Date;
}

/** Written by this package only, but read back through the schema all the same: a changed rule must not slip through. */
const toHook = ({ sealedSecret: _sealed, mapping, ...row }: typeof inboundHooks.$inferSelect): InboundHook => ({
  ...row,
  mapping: hookMappingSchema.parse(mapping),
});

/** A fixed conversation must be the tenant's own: looked up in its schema, so another tenant's id is "not found". */
async function checkMapping(tx: TenantTx, mapping: HookMapping) {
  if ('id' in mapping.conversation) await getConversation(tx, mapping.conversation.id);
}

/**
 * Creates a hook and its entry in the control index, in the tenant's transaction, unless the
 * tenant already holds its quota (`max_inbound_hooks`, else `defaultMax`). The tenant's
 * control row is locked while counting, so two creations cannot both take the last slot.
 * Returns the secret in the clear: the only time it is shown.
 */
export async function createHook(
  tx: TenantTx,
  input: { name: string; scheme: HookScheme; mapping: HookMapping },
  opts: { sealingKey: string; defaultMax: number },
): Promise<{ hook: InboundHook; secret: string }> {
  await checkMapping(tx, input.mapping);
  const id = newId('inboundHook');
  await asAppRole(tx, async () => {
    const { rows } = await tx.client.query<{ max: number | null; held: number }>(
      `SELECT t.max_inbound_hooks AS max,
              (SELECT count(*)::int FROM control.inbound_hooks h WHERE h.tenant_id = t.id) AS held
         FROM control.tenants t WHERE t.id = $1 FOR NO KEY UPDATE`,
      [tx.tenantId],
    );
    const max = rows[0]?.max ?? opts.defaultMax;
    if ((rows[0]?.held ?? 0) >= max) {
      throw new AppError('inbound_hook_quota_exceeded', `this tenant may hold ${max} inbound hooks`, {
        quota: 'maxInboundHooks',
        limit: max,
      });
    }
    await tx.client.query('INSERT INTO control.inbound_hooks (id, tenant_id) VALUES ($1, $2)', [id, tx.tenantId]);
  });
  const secret = newHookSecret();
  const [row] = await tx.db
    .insert(inboundHooks)
    .values({ id, ...input, sealedSecret: await sealSecret(opts.sealingKey, secret) })
    .returning();
  return { hook: toHook(row!), secret };
}

/** The hook with its sealed secret (for verifying a delivery; never for an answer). */
export async function getHookWithSecret(tx: TenantTx, id: string): Promise<InboundHook & { sealedSecret: string }> {
  const [row] = await tx.db.select().from(inboundHooks).where(eq(inboundHooks.id, id));
  if (!row) throw notFound('inbound hook');
  return { ...toHook(row), sealedSecret: row.sealedSecret };
}

export async function getHook(tx: TenantTx, id: string): Promise<InboundHook> {
  const { sealedSecret: _sealed, ...hook } = await getHookWithSecret(tx, id);
  return hook;
}

/** Hooks in creation order; `after` is the last id of the previous page. */
export async function listHooks(tx: TenantTx, page: { after?: string | undefined; limit: number }): Promise<InboundHook[]> {
  const rows = await tx.db
    .select()
    .from(inboundHooks)
    .where(page.after ? gt(inboundHooks.id, page.after) : undefined)
    .orderBy(asc(inboundHooks.id))
    .limit(page.limit);
  return rows.map(toHook);
}

export async function updateHook(tx: TenantTx, id: string, patch: { name?: string | undefined; mapping?: HookMapping | undefined }) {
  if (patch.mapping) await checkMapping(tx, patch.mapping);
  const [row] = await tx.db
    .update(inboundHooks)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(inboundHooks.id, id))
    .returning();
  if (!row) throw notFound('inbound hook');
  return toHook(row);
}

/** Deletes the hook, its receipts (cascade) and its control entry: its URL answers 404 from then on. */
export async function deleteHook(tx: TenantTx, id: string): Promise<void> {
  const deleted = await tx.db.delete(inboundHooks).where(eq(inboundHooks.id, id)).returning({ id: inboundHooks.id });
  if (deleted.length === 0) throw notFound('inbound hook');
  await asAppRole(tx, () => tx.client.query('DELETE FROM control.inbound_hooks WHERE id = $1 AND tenant_id = $2', [id, tx.tenantId]));
}
