import { getArchive, getConversation, listArchives, SEARCH_MAX_OFFSET, searchTenant } from '@warren/conversations';
import { idSchema, text } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { conversationIdParams, page, pageQuery } from '../schemas.ts';

const archiveFields = {
  id: z.string(),
  conversationId: z.string(),
  turnId: z.string().nullable().describe('The turn whose commit compacted the history.'),
  reason: z.string(),
  messageCount: z.number().int().describe('Model-history entries in the transcript.'),
  summary: z.string().describe('What replaced the older messages in the history.'),
  contextTokens: z.number().int().describe('The context size (tokens) that set the compaction off.'),
  usage: z
    .object({ inputTokens: z.number(), outputTokens: z.number(), turns: z.number() })
    .nullable()
    .describe("Metered tokens of the conversation's turns since the previous archive."),
  createdAt: z.iso.datetime(),
};
const archiveSummarySchema = z.object(archiveFields);
const archiveSchema = z.object({
  ...archiveFields,
  transcript: z
    .array(z.object({ role: z.enum(['user', 'assistant']), content: z.unknown() }).loose())
    .describe('The whole model history before compaction: Messages API message params, tool calls and results included.'),
});

type ArchiveRow = Omit<z.infer<typeof archiveSummarySchema>, 'createdAt'> & { createdAt: Date };
const toArchiveSummary = (a: ArchiveRow): z.infer<typeof archiveSummarySchema> => ({
  id: a.id,
  conversationId: a.conversationId,
  turnId: a.turnId,
  reason: a.reason,
  messageCount: a.messageCount,
  summary: a.summary,
  contextTokens: a.contextTokens,
  usage: a.usage,
  createdAt: a.createdAt.toISOString(),
});

const hitSchema = z.object({
  kind: z.enum(['message', 'archive']),
  id: z.string().describe('The message or archive id.'),
  conversationId: z.string(),
  seq: z.number().int().nullable().describe("A message's seq; null for an archive."),
  rank: z.number(),
  snippet: z.string().describe('The matching words in context.'),
  createdAt: z.iso.datetime(),
});

/** Archived transcripts (saved before compaction) and full-text search over them and the messages. */
export const archiveRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  const tags = ['archives'];

  app.get(
    '/v1/conversations/:id/archives',
    {
      schema: {
        tags,
        summary: "A conversation's archives, newest first (without their transcripts)",
        params: conversationIdParams,
        querystring: pageQuery.extend({ before: idSchema('archive').optional().describe('Return archives older than this one.') }),
        response: { 200: page(archiveSummarySchema, z.string()) },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) => {
        const { limit, before } = request.query;
        const rows = await listArchives(tx, request.params.id, { before, limit: limit + 1 });
        if (rows.length === 0) await getConversation(tx, request.params.id); // 404 for a conversation that is not there
        const data = rows.slice(0, limit).map(toArchiveSummary);
        return { data, next: rows.length > limit ? data.at(-1)!.id : null };
      }),
  );

  app.get(
    '/v1/archives/:id',
    {
      schema: {
        tags,
        summary: 'One archive with its full transcript',
        params: z.strictObject({ id: idSchema('archive') }),
        response: { 200: archiveSchema },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) => {
        const archive = await getArchive(tx, request.params.id);
        return { ...toArchiveSummary(archive), transcript: archive.transcript as z.infer<typeof archiveSchema>['transcript'] };
      }),
  );

  app.get(
    '/v1/search',
    {
      schema: {
        tags,
        summary: "Full-text search over the tenant's messages and archives, best match first",
        description:
          'Web-search syntax: words, "a phrase", -excluded, or. Words are matched as written (no stemming, any language). Offset pagination up to ' +
          `${SEARCH_MAX_OFFSET}; past it, narrow the query.`,
        querystring: pageQuery.extend({
          q: text().trim().min(1).max(500),
          offset: z.coerce.number().int().min(0).max(SEARCH_MAX_OFFSET).default(0),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: { 200: page(hitSchema, z.number().int()) },
      },
    },
    (request) =>
      withTenant(pool, request.tenantId, async (tx) => {
        const { q, offset, limit } = request.query;
        const hits = await searchTenant(tx, q, { offset, limit: limit + 1 });
        const data = hits.slice(0, limit).map((hit) => ({ ...hit, createdAt: hit.createdAt.toISOString() }));
        const next = hits.length > limit && offset + limit <= SEARCH_MAX_OFFSET ? offset + limit : null;
        return { data, next };
      }),
  );
};
