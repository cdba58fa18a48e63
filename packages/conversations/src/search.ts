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
 * before the two are merged, and both use their GIN index (messages: on the expression
 * `to_tsvector('simple', content)`, written the same here; archives: on the stored `search`). Runs in the caller's tenant transaction: other tenants' rows are
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
    // the tsquery is written out in each WHERE (not joined from a CTE) so the planner sees a constant and uses the index
    `WITH hits AS (
       (SELECT 'message' AS kind, id, conversation_id, seq, created_at, content AS body,
               ts_rank(to_tsvector('simple', content), websearch_to_tsquery('simple', $1)) AS rank
          FROM messages WHERE to_tsvector('simple', content) @@ websearch_to_tsquery('simple', $1)
         ORDER BY rank DESC, id DESC LIMIT $2)
       UNION ALL
       (SELECT 'archive', id, conversation_id, NULL, created_at, search_text,
               ts_rank(search, websearch_to_tsquery('simple', $1)) AS rank
          FROM archives WHERE search @@ websearch_to_tsquery('simple', $1)
         ORDER BY rank DESC, id DESC LIMIT $2)
     ), paged AS (SELECT * FROM hits ORDER BY rank DESC, id DESC OFFSET $3 LIMIT $4)
     SELECT kind, id, conversation_id, seq, rank::float8 AS rank, created_at,
            ts_headline('simple', body, websearch_to_tsquery('simple', $1), 'MaxFragments=2, MaxWords=20, MinWords=5') AS snippet
       FROM paged ORDER BY rank DESC, id DESC`,
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
