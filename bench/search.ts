// pnpm bench:search — GET /v1/search over a tenant with BENCH_MESSAGES messages and a thousand
// archives: a rare word and a common one, beside the same lookups without the full-text index
// (ILIKE, a scan) on the same rows; and what the GIN index costs single-row INSERTs.
import { createPool, freePort, withTenant } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { Pool as HttpPool } from 'undici';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram, waitFor } from './lib/processes.ts';
import { percentile, printTable, runFor } from './lib/report.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200_000);
const ARCHIVES = 1000;
const OPS_TOKEN = 'bench-ops-token-0123456789abcdef';

const db = await benchDatabase();
const pool = createPool(db.url, { max: 32, logger: benchLogger });
const port = await freePort();
const api = startProgram('apps/api/src/main.ts', {
  DATABASE_URL: db.url,
  OPS_TOKEN,
  PORT: String(port),
  RATE_LIMIT_PER_MINUTE: '100000000',
});

try {
  const http = new HttpPool(`http://127.0.0.1:${port}`, { connections: 16 });
  await waitFor('API', async () => (await http.request({ path: '/readyz', method: 'GET' })).statusCode === 200);
  const { tenant, apiKey } = await provisionTenant(pool, { name: 'bench' });
  const headers = { authorization: `Bearer ${apiKey.key}` };

  // Messages of 12 words from a 5,000-word vocabulary (`w0` … `w4999`), 100 conversations;
  // `rareword` in one message, `w7` in about one message of four hundred.
  await withTenant(pool, tenant.id, async (tx) => {
    await tx.client.query(`INSERT INTO conversations (id) SELECT 'conv_bench_' || i FROM generate_series(1, 100) i`);
    await tx.client.query(
      `INSERT INTO messages (id, conversation_id, seq, role, content)
       SELECT 'msg_bench_' || i, 'conv_bench_' || (i % 100 + 1), i, 'user',
              (SELECT string_agg('w' || floor(random() * 5000)::int, ' ') FROM generate_series(1, 12) WHERE i > 0)
         FROM generate_series(1, $1) i`,
      [MESSAGES],
    );
    await tx.client.query(`UPDATE messages SET content = content || ' rareword' WHERE id = 'msg_bench_4242'`);
    await tx.client.query(
      `INSERT INTO archives (id, conversation_id, reason, transcript, search_text)
       SELECT 'arc_bench_' || i, 'conv_bench_' || (i % 100 + 1), 'compaction', '[]',
              (SELECT string_agg('w' || floor(random() * 5000)::int, ' ') FROM generate_series(1, 2000) WHERE i > 0)
         FROM generate_series(1, $1) i`,
      [ARCHIVES],
    );
    await tx.client.query('ANALYZE messages; ANALYZE archives');
  });

  const search = async (q: string) => {
    const res = await http.request({ path: `/v1/search?q=${q}&limit=20`, method: 'GET', headers });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`search: ${res.statusCode} ${text}`);
  };
  const scan = (word: string) => async () => {
    await withTenant(pool, tenant.id, (tx) =>
      tx.client.query(
        `(SELECT id FROM messages WHERE content ILIKE $1 LIMIT 20) UNION ALL (SELECT id FROM archives WHERE search_text ILIKE $1 LIMIT 20)`,
        [`%${word}%`],
      ),
    );
  };

  const rows = [];
  for (const word of ['rareword', 'w7']) {
    await runFor(500, 1, () => search(word)); // warm-up
    const api = await runFor(SECONDS * 1000, 1, () => search(word));
    const raw = await runFor(SECONDS * 1000, 1, scan(word));
    rows.push({
      query: word,
      'search p50 ms': percentile(api, 50),
      'search p99 ms': percentile(api, 99),
      'ILIKE scan p50 ms': percentile(raw, 50),
      'ILIKE scan p99 ms': percentile(raw, 99),
    });
  }
  printTable(
    `Search: GET /v1/search (GIN, ts_rank, snippets) vs ILIKE in SQL, ${MESSAGES} messages, ${ARCHIVES} archives of 2,000 words`,
    rows,
  );

  // The index's price on writes: single-row INSERTs into messages vs a copy of it without the search index.
  await withTenant(pool, tenant.id, async (tx) => {
    await tx.client.query('CREATE TABLE plain_messages (LIKE messages INCLUDING ALL)');
    const { rows: gin } = await tx.client.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'plain_messages' AND indexdef LIKE '%USING gin%'`,
    );
    for (const { indexname } of gin) await tx.client.query(`DROP INDEX "${indexname}"`);
  });
  let n = 0;
  const insertInto = (table: string) => async () => {
    const i = n++;
    await withTenant(pool, tenant.id, (tx) =>
      tx.client.query(`INSERT INTO ${table} (id, conversation_id, seq, role, content) VALUES ($1, 'conv_bench_1', $2, 'user', $3)`, [
        `msg_ins_${i}`,
        MESSAGES + 1 + i,
        'The build is broken again, can you take a look at the failing tests?',
      ]),
    );
  };
  const indexed = await runFor(SECONDS * 1000, 16, insertInto('messages'));
  const plain = await runFor(SECONDS * 1000, 16, insertInto('plain_messages'));
  printTable(`Writes: single-row INSERT commits/s at concurrency 16 (${SECONDS}s per cell)`, [
    { table: 'messages (with the search index)', 'INSERT/s': Math.round(indexed.length / SECONDS), 'p50 ms': percentile(indexed, 50) },
    { table: 'the same without the search index', 'INSERT/s': Math.round(plain.length / SECONDS), 'p50 ms': percentile(plain, 50) },
  ]);
  await http.close();
} finally {
  api.kill('SIGTERM');
  await pool.end();
  await db.stop();
}
