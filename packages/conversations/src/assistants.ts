import { AppError, newId, notFound } from '@warren/core';
import { type TenantTx, tenantSchema } from '@warren/db';
import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { TriggerMode } from './conversations.ts';
import { isUniqueViolation } from './unique-violation.ts';

// Assistants: a name and a current version number; everything else lives in immutable
// versions. A change writes the next version (no statement here updates a version row), so a
// turn's `assistant_version_id` always names what it ran with.

const { assistants, assistantVersions, conversations } = tenantSchema;

export type AssistantVersion = typeof assistantVersions.$inferSelect;

/** Versions one assistant may have (a fixed cap; the number of assistants is a tenant limit). */
export const MAX_ASSISTANT_VERSIONS = 1000;

export interface AssistantSettings {
  name: string;
  instructions: string;
  model: string | null;
  maxTokens: number | null;
  tools: string[] | null;
  skills: string[];
  triggerMode: TriggerMode;
  triggerPattern: string | null;
  compactionBudgetTokens: number | null;
}

// The caller's transaction is aborted after a unique violation; it rolls back as a whole.
const nameTaken = (name: string) => new AppError('conflict', `an assistant named ${JSON.stringify(name)} already exists`);

/** What a new assistant must say; the rest defaults to the worker's settings and every tool. */
export type NewAssistant = Pick<AssistantSettings, 'name' | 'instructions'> & Partial<AssistantSettings>;

const unset: Omit<AssistantSettings, 'name' | 'instructions'> = {
  model: null,
  maxTokens: null,
  tools: null,
  skills: [],
  triggerMode: 'always',
  triggerPattern: null,
  compactionBudgetTokens: null,
};

/** An assistant at version 1, unless the tenant holds `max` (serialised per tenant by an advisory lock). */
export async function createAssistant(tx: TenantTx, input: NewAssistant, max: number): Promise<AssistantVersion> {
  const settings: AssistantSettings = { ...unset, ...input };
  await tx.client.query(`SELECT pg_advisory_xact_lock(hashtextextended('warren.assistant-quota.' || current_schema(), 0))`);
  const { rows } = await tx.client.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT 1 FROM assistants LIMIT $1) held', [max]);
  if (rows[0]!.n >= max) {
    throw new AppError('assistant_quota_exceeded', `this tenant may hold ${max} assistants`, { quota: 'maxAssistants', limit: max });
  }
  const id = newId('assistant');
  try {
    await tx.db.insert(assistants).values({ id, name: settings.name, currentVersion: 1 });
  } catch (err) {
    throw isUniqueViolation(err) ? nameTaken(settings.name) : err;
  }
  return insertVersion(tx, id, 1, settings);
}

/** Writes the next version from the current one with `patch` applied, and makes it current. */
export async function changeAssistant(tx: TenantTx, id: string, patch: Partial<AssistantSettings>): Promise<AssistantVersion> {
  const [assistant] = await tx.db.select().from(assistants).where(eq(assistants.id, id)).for('update');
  if (!assistant) throw notFound('assistant');
  if (assistant.currentVersion >= MAX_ASSISTANT_VERSIONS) {
    throw new AppError('assistant_quota_exceeded', `an assistant may have ${MAX_ASSISTANT_VERSIONS} versions`, {
      quota: 'maxAssistantVersions',
      limit: MAX_ASSISTANT_VERSIONS,
    });
  }
  const current = await getAssistantVersion(tx, id, assistant.currentVersion);
  const next = assistant.currentVersion + 1;
  const settings: AssistantSettings = { ...settingsOf(current), ...patch };
  try {
    await tx.db.update(assistants).set({ name: settings.name, currentVersion: next, updatedAt: new Date() }).where(eq(assistants.id, id));
  } catch (err) {
    throw isUniqueViolation(err) ? nameTaken(settings.name) : err;
  }
  return insertVersion(tx, id, next, settings);
}

async function insertVersion(tx: TenantTx, assistantId: string, version: number, settings: AssistantSettings): Promise<AssistantVersion> {
  const [row] = await tx.db
    .insert(assistantVersions)
    .values({ id: newId('assistantVersion'), assistantId, version, ...settings })
    .returning();
  return row!;
}

function settingsOf(v: AssistantVersion): AssistantSettings {
  const { name, instructions, model, maxTokens, tools, skills, triggerMode, triggerPattern, compactionBudgetTokens } = v;
  return { name, instructions, model, maxTokens, tools, skills, triggerMode, triggerPattern, compactionBudgetTokens };
}

/** The assistant's current version. */
export async function getAssistant(tx: TenantTx, id: string): Promise<AssistantVersion> {
  const [row] = await tx.db
    .select({ version: assistantVersions })
    .from(assistants)
    .innerJoin(
      assistantVersions,
      and(eq(assistantVersions.assistantId, assistants.id), eq(assistantVersions.version, assistants.currentVersion)),
    )
    .where(eq(assistants.id, id));
  if (!row) throw notFound('assistant');
  return row.version;
}

/** Assistants (their current versions) in creation order; `after` is the last id of the previous page. */
export async function listAssistants(tx: TenantTx, page: { after?: string | undefined; limit: number }): Promise<AssistantVersion[]> {
  const rows = await tx.db
    .select({ version: assistantVersions })
    .from(assistants)
    .innerJoin(
      assistantVersions,
      and(eq(assistantVersions.assistantId, assistants.id), eq(assistantVersions.version, assistants.currentVersion)),
    )
    .where(page.after ? gt(assistants.id, page.after) : undefined)
    .orderBy(asc(assistants.id))
    .limit(page.limit);
  return rows.map((r) => r.version);
}

export async function getAssistantVersion(tx: TenantTx, assistantId: string, version: number): Promise<AssistantVersion> {
  const [row] = await tx.db
    .select()
    .from(assistantVersions)
    .where(and(eq(assistantVersions.assistantId, assistantId), eq(assistantVersions.version, version)));
  if (!row) throw notFound('assistant version');
  return row;
}

/** An assistant's versions, newest first; `before` is the last version number of the previous page. */
export async function listAssistantVersions(
  tx: TenantTx,
  assistantId: string,
  page: { before?: number | undefined; limit: number },
): Promise<AssistantVersion[]> {
  const rows = await tx.db
    .select()
    .from(assistantVersions)
    .where(and(eq(assistantVersions.assistantId, assistantId), page.before ? lt(assistantVersions.version, page.before) : undefined))
    .orderBy(desc(assistantVersions.version))
    .limit(page.limit);
  if (rows.length === 0) await getAssistant(tx, assistantId); // 404 for an assistant that is not there
  return rows;
}

/**
 * The version a conversation's next turn runs with: its pinned version, else the assistant's
 * current one; null without an assistant (the worker's defaults).
 */
export async function conversationAssistant(tx: TenantTx, conversationId: string): Promise<AssistantVersion | null> {
  const [row] = await tx.db
    .select({ version: assistantVersions })
    .from(conversations)
    .innerJoin(assistants, eq(assistants.id, conversations.assistantId))
    .innerJoin(
      assistantVersions,
      and(
        eq(assistantVersions.assistantId, assistants.id),
        eq(assistantVersions.version, sql`coalesce(${conversations.assistantVersion}, ${assistants.currentVersion})`),
      ),
    )
    .where(eq(conversations.id, conversationId));
  return row?.version ?? null;
}

/**
 * Checks an assistant reference a conversation is given and returns the version whose defaults
 * (name, trigger) a new conversation takes: the pinned one, else the current one.
 */
export async function assistantRef(tx: TenantTx, assistantId: string, pinned: number | null | undefined): Promise<AssistantVersion> {
  return pinned == null ? getAssistant(tx, assistantId) : getAssistantVersion(tx, assistantId, pinned);
}
