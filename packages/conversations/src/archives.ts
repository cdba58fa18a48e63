import { newId, notFound } from '@warren/core';
import { type TenantTx, tenantSchema } from '@warren/db';
import { and, desc, eq, lt } from 'drizzle-orm';

const { archives } = tenantSchema;

const archiveColumns = {
  id: archives.id,
  conversationId: archives.conversationId,
  turnId: archives.turnId,
  reason: archives.reason,
  messageCount: archives.messageCount,
  summary: archives.summary,
  contextTokens: archives.contextTokens,
  usage: archives.usage,
  createdAt: archives.createdAt,
};

export type Archive = typeof archives.$inferSelect;

/** Characters of an archive's text that full-text search covers (a tsvector holds at most 1 MB). */
export const ARCHIVE_SEARCH_CHARS = 400_000;

export interface ArchiveInput {
  conversationId: string;
  turnId: string;
  /** The whole model history before compaction, entry by entry. */
  transcript: unknown[];
  summary: string;
  contextTokens: number;
}

/**
 * Saves a transcript before its history is replaced, in the caller's transaction (the one that
 * stores the compacted history). Its usage is the credential proxy's metering of the
 * conversation's turns since the previous archive, this one's included.
 */
export async function writeArchive(tx: TenantTx, input: ArchiveInput): Promise<string> {
  const id = newId('archive');
  await tx.client.query(
    `INSERT INTO archives (id, conversation_id, reason, transcript, turn_id, message_count, summary, context_tokens, search_text, usage)
     SELECT $1, $2, 'compaction', $3, $4, $5, $6, $7, $8, jsonb_build_object(
              'inputTokens', coalesce(sum((t.usage->>'inputTokens')::bigint), 0),
              'outputTokens', coalesce(sum((t.usage->>'outputTokens')::bigint), 0),
              'turns', count(*))
       FROM turns t
      WHERE t.conversation_id = $2
        AND t.created_at > coalesce((SELECT max(created_at) FROM archives WHERE conversation_id = $2), '-infinity')`,
    [
      id,
      input.conversationId,
      JSON.stringify(input.transcript),
      input.turnId,
      input.transcript.length,
      input.summary,
      input.contextTokens,
      transcriptText(input.transcript).slice(0, ARCHIVE_SEARCH_CHARS),
    ],
  );
  return id;
}

/** A conversation's archives, newest first; `before` is the last id of the previous page. */
export function listArchives(tx: TenantTx, conversationId: string, page: { before?: string | undefined; limit: number }) {
  return tx.db
    .select(archiveColumns)
    .from(archives)
    .where(and(eq(archives.conversationId, conversationId), page.before ? lt(archives.id, page.before) : undefined))
    .orderBy(desc(archives.id))
    .limit(page.limit);
}

export async function getArchive(tx: TenantTx, id: string): Promise<Omit<Archive, 'searchText' | 'search'>> {
  const [row] = await tx.db
    .select({ ...archiveColumns, transcript: archives.transcript })
    .from(archives)
    .where(eq(archives.id, id));
  if (!row) throw notFound('archive');
  return row;
}

/** The words of a transcript: message text, tool names and inputs, tool results. */
export function transcriptText(transcript: unknown[]): string {
  const parts: string[] = [];
  const walk = (content: unknown) => {
    if (typeof content === 'string') return void parts.push(content);
    if (!Array.isArray(content)) return;
    for (const block of content as Array<Record<string, unknown>>) {
      if (block?.type === 'text' && typeof block.text === 'string') parts.push(block.text);
      else if (block?.type === 'tool_use') parts.push(`${String(block.name)} ${JSON.stringify(block.input ?? {})}`);
      else if (block?.type === 'tool_result') walk(block.content);
    }
  };
  for (const entry of transcript) walk((entry as { content?: unknown })?.content);
  return parts.join('\n');
}
