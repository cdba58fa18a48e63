import type { TenantTx } from '@warren/db';

export interface SearchHit {
  kind: 'message' | 'archive';
  id: string;
  conversationId: string;
  /** The message's seq; null for an archive. */
  seq: number | null;
  rank: number;
  /** The matching words in context. */
  snippet: string;
  createdAt: Date;
}

/** How deep offset pagination may go: past it, refine the query. */
export const SEARCH_MAX_OFFSET = 1000;

/**
 * Full-text search over the tenant's messages and archives (websearch syntax: words, "phrases",
 * -exclusions, or), best first by ts_rank, then newest. Each side is cut to what the page needs
 * before the two are merged, and both use their GIN index (`to_tsvector('simple', …)`, the same
 * expression as the indexes). Runs in the caller's tenant transaction: other tenants' rows are
 * not in its search_path, and its role may not read them.
 */
export async function searchTenant(tx: TenantTx, query: string, page: { offset: number; limit: number }): Promise<SearchHit[]> {
  const depth = page.offset + page.limit;
  const { rows } = await tx.client.query<{
    kind: 'message' | 'archive';
    id: string;
    conversation_id: string;
    seq: string | null;
    rank: number;
    snippet: string;
    created_at: Date;
  }>(
    `WITH q AS (SELECT websearch_to_tsquery('simple', $1) AS query),
     hits AS (
       (SELECT 'message' AS kind, m.id, m.conversation_id, m.seq, ts_rank(to_tsvector('simple', m.content), q.query) AS rank,
               m.content AS body, m.created_at
          FROM messages m, q WHERE to_tsvector('simple', m.content) @@ q.query
         ORDER BY rank DESC, m.id DESC LIMIT $2)
       UNION ALL
       (SELECT 'archive', a.id, a.conversation_id, NULL, ts_rank(to_tsvector('simple', a.search_text), q.query) AS rank,
               a.search_text, a.created_at
          FROM archives a, q WHERE to_tsvector('simple', a.search_text) @@ q.query
         ORDER BY rank DESC, a.id DESC LIMIT $2)
     ), paged AS (SELECT * FROM hits ORDER BY rank DESC, id DESC OFFSET $3 LIMIT $4)
     SELECT kind, id, conversation_id, seq, rank::float8 AS rank, created_at,
            ts_headline('simple', body, q.query, 'MaxFragments=2, MaxWords=20, MinWords=5') AS snippet
       FROM paged, q ORDER BY rank DESC, id DESC`,
    [query, depth, page.offset, page.limit],
  );
  return rows.map((r) => ({
    kind: r.kind,
    id: r.id,
    conversationId: r.conversation_id,
    seq: r.seq === null ? null : Number(r.seq),
    rank: r.rank,
    snippet: r.snippet,
    createdAt: r.created_at,
  }));
}
