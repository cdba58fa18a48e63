import { AppError, newId, notFound } from '@warren/core';
import { type TenantTx, tenantSchema } from '@warren/db';
import { and, asc, eq, gt, ilike } from 'drizzle-orm';
import { assistantRef } from './assistants.ts';
import { isUniqueViolation } from './unique-violation.ts';

const { conversations, cursors, sessions } = tenantSchema;

export type Conversation = typeof conversations.$inferSelect;
export type TriggerMode = (typeof tenantSchema.triggerModes)[number];

export interface ConversationInput {
  externalId?: string | null | undefined;
  title?: string | null | undefined;
  assistantName?: string | undefined;
  triggerMode?: TriggerMode | undefined;
  triggerPattern?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  assistantId?: string | null | undefined;
  /** Pins a version of the assistant; null follows its current version. */
  assistantVersion?: number | null | undefined;
}

// The caller's transaction is aborted after a unique violation; it rolls back as a whole.
const externalIdTaken = (externalId: unknown) =>
  new AppError('conflict', `a conversation with externalId ${JSON.stringify(externalId)} already exists`);

/** A conversation with its cursors and (empty) model session, so later stages can assume both exist. */
export async function createConversation(tx: TenantTx, input: ConversationInput): Promise<Conversation> {
  const id = newId('conversation');
  if (input.assistantId) input = { ...(await assistantDefaults(tx, input.assistantId, input.assistantVersion)), ...defined(input) };
  else if (input.assistantVersion != null) throw new AppError('validation', 'assistantVersion needs an assistantId');
  try {
    const [row] = await tx.db
      .insert(conversations)
      .values({ id, ...input })
      .returning();
    await tx.db.insert(cursors).values({ conversationId: id });
    await tx.db.insert(sessions).values({ conversationId: id });
    return row!;
  } catch (err) {
    throw isUniqueViolation(err) ? externalIdTaken(input.externalId) : err;
  }
}

/**
 * Creates a conversation unless the tenant already holds `max`. A transaction advisory lock per
 * tenant schema serialises creations, so two cannot both take the last slot; the count stops
 * at `max` rows, so it costs no more than the quota.
 */
export async function createConversationWithinQuota(tx: TenantTx, input: ConversationInput, max: number): Promise<Conversation> {
  await lockConversationCreation(tx);
  const { rows } = await tx.client.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT 1 FROM conversations LIMIT $1) held', [
    max,
  ]);
  if (rows[0]!.n >= max) {
    throw new AppError('conversation_quota_exceeded', `this tenant may hold ${max} conversations`, {
      quota: 'maxConversations',
      limit: max,
    });
  }
  return createConversation(tx, input);
}

/** Serialises conversation creation within the tenant until the transaction ends (re-entrant). */
const lockConversationCreation = (tx: TenantTx) =>
  tx.client.query(`SELECT pg_advisory_xact_lock(hashtextextended('warren.conversation-quota.' || current_schema(), 0))`);

/**
 * The conversation with this external id, created (within the quota) if there is none. Two
 * first sightings at once: the second waits on the creation lock, then finds the first's.
 */
export async function findOrCreateConversationByExternalId(tx: TenantTx, externalId: string, max: number): Promise<Conversation> {
  const found = await findConversationByExternalId(tx, externalId);
  if (found) return found;
  await lockConversationCreation(tx);
  return (await findConversationByExternalId(tx, externalId)) ?? createConversationWithinQuota(tx, { externalId }, max);
}

export async function getConversation(tx: TenantTx, id: string): Promise<Conversation> {
  const [row] = await tx.db.select().from(conversations).where(eq(conversations.id, id));
  if (!row) throw notFound('conversation');
  return row;
}

export async function findConversationByExternalId(tx: TenantTx, externalId: string): Promise<Conversation | undefined> {
  const [row] = await tx.db.select().from(conversations).where(eq(conversations.externalId, externalId));
  return row;
}

/** Conversations in creation order; `after` is the last id of the previous page. */
/** Conversations in creation order; `titleContains` keeps those whose title holds it (case-insensitive). */
export function listConversations(tx: TenantTx, page: { after?: string | undefined; limit: number; titleContains?: string | undefined }) {
  const pattern = page.titleContains === undefined ? undefined : `%${page.titleContains.replace(/[\\%_]/g, '\\$&')}%`;
  return tx.db
    .select()
    .from(conversations)
    .where(
      and(
        page.after ? gt(conversations.id, page.after) : undefined,
        pattern === undefined ? undefined : ilike(conversations.title, pattern),
      ),
    )
    .orderBy(asc(conversations.id))
    .limit(page.limit);
}

export async function updateConversation(tx: TenantTx, id: string, patch: ConversationInput): Promise<Conversation> {
  // another assistant is followed, not pinned, unless the patch pins it too
  if (patch.assistantId !== undefined && patch.assistantVersion === undefined) patch = { ...patch, assistantVersion: null };
  const assistantId =
    patch.assistantId !== undefined
      ? patch.assistantId
      : patch.assistantVersion != null
        ? (await getConversation(tx, id)).assistantId
        : null;
  if (assistantId) await assistantRef(tx, assistantId, patch.assistantVersion);
  else if (patch.assistantVersion != null) throw new AppError('validation', 'assistantVersion needs an assistantId');
  try {
    const [row] = await tx.db
      .update(conversations)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(conversations.id, id))
      .returning();
    if (!row) throw notFound('conversation');
    return row;
  } catch (err) {
    throw isUniqueViolation(err) ? externalIdTaken(patch.externalId) : err;
  }
}

/**
 * Deletes a conversation with everything it owns (messages, turns, history, archives, tasks,
 * its workspace snapshot: the foreign keys cascade). A turn still running fails at its next
 * write; its worker's job then finds nothing to do. Host folders go with each worker's sweep.
 */
export async function deleteConversation(tx: TenantTx, id: string): Promise<void> {
  const deleted = await tx.db.delete(conversations).where(eq(conversations.id, id)).returning({ id: conversations.id });
  if (deleted.length === 0) throw notFound('conversation');
}
/** What a conversation created with an assistant takes from it unless it says otherwise: its name and trigger. */
async function assistantDefaults(tx: TenantTx, assistantId: string, pinned: number | null | undefined): Promise<ConversationInput> {
  const version = await assistantRef(tx, assistantId, pinned);
  return { assistantName: version.name, triggerMode: version.triggerMode, triggerPattern: version.triggerPattern };
}

const defined = <T extends object>(input: T): Partial<T> =>
  Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
