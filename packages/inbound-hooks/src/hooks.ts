import { getConversation } from '@warren/conversations';
import { newId, notFound } from '@warren/core';
import { sealSecret } from '@warren/credentials';
import { addToControlIndex, type ControlIndex, removeFromControlIndex, type TenantTx, tenantSchema } from '@warren/db';
import { asc, eq, gt } from 'drizzle-orm';
import { type HookMapping, hookMappingSchema } from './mapping.ts';
import { type HookScheme, newHookSecret } from './signature.ts';

const { inboundHooks } = tenantSchema;

const INBOUND_HOOKS_INDEX: ControlIndex = {
  table: 'inbound_hooks',
  maxColumn: 'max_inbound_hooks',
  quota: 'maxInboundHooks',
  problem: 'inbound_hook_quota_exceeded',
  what: 'inbound hooks',
};

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
 * tenant already holds its quota (`max_inbound_hooks`, else `defaultMax`). Returns the secret in the clear: the only time it is shown.
 */
export async function createHook(
  tx: TenantTx,
  input: { name: string; scheme: HookScheme; mapping: HookMapping },
  opts: { sealingKey: string; defaultMax: number },
): Promise<{ hook: InboundHook; secret: string }> {
  await checkMapping(tx, input.mapping);
  const id = newId('inboundHook');
  await addToControlIndex(tx, INBOUND_HOOKS_INDEX, id, opts.defaultMax);
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
  await removeFromControlIndex(tx, INBOUND_HOOKS_INDEX, id);
}
