// pnpm bench:ingest — messages/s through the real API process at concurrency 1, 16 and 64,
// beside raw single-row INSERT commits/s on the same database at the same concurrency.
import { createWarrenClient } from '@warren/client';
import { createPool, freePort } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { Pool as HttpPool } from 'undici';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram, waitFor } from './lib/processes.ts';
import { percentile, printTable, runFor } from './lib/report.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LEVELS = [1, 16, 64];
const OPS_TOKEN = 'bench-ops-token-0123456789abcdef';

const db = await benchDatabase();
const pool = createPool(db.url, { max: 64, logger: benchLogger });
const port = await freePort();
const api = startProgram('apps/api/src/main.ts', {
  DATABASE_URL: db.url,
  OPS_TOKEN,
  PORT: String(port),
  DB_POOL_SIZE: '64',
  RATE_LIMIT_PER_MINUTE: '100000000',
});

try {
  const http = new HttpPool(`http://127.0.0.1:${port}`, { connections: 64, pipelining: 1 });
  await waitFor('API', async () => (await http.request({ path: '/readyz', method: 'GET' })).statusCode === 200);
  const { apiKey } = await provisionTenant(pool, { name: 'bench' });
  const headers = { authorization: `Bearer ${apiKey.key}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown, expected: number) => {
    const res = await http.request({ path, method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.body.text();
    if (res.statusCode !== expected) throw new Error(`${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text);
  };
  // One conversation per lane: the realistic shape (many conversations, each one writer). Set up
  // with the typed client; the measured posts below go through one undici pool, kept lean.
  const warren = createWarrenClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: apiKey.key });
  const conversations: string[] = [];
  for (let i = 0; i < Math.max(...LEVELS); i++) {
    const { data, error } = await warren.POST('/v1/conversations', { body: {} });
    if (error) throw new Error(`creating a conversation: ${error.detail}`);
    conversations.push(data.id);
  }

  await pool.query(`CREATE TABLE public.raw_messages (
    id text PRIMARY KEY, conversation_id text NOT NULL, content text NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL DEFAULT now())`);
  let rawSeq = 0;

  const content = 'The build is broken again, can you take a look at the failing tests?';
  const rows = [];
  for (const c of LEVELS) {
    await runFor(1000, c, (lane) => post(`/v1/conversations/${conversations[lane]}/messages`, { content }, 201)); // warm-up
    const apiLat = await runFor(SECONDS * 1000, c, (lane) => post(`/v1/conversations/${conversations[lane]}/messages`, { content }, 201));
    const rawLat = await runFor(SECONDS * 1000, c, async (lane) => {
      await pool.query('INSERT INTO public.raw_messages (id, conversation_id, content) VALUES ($1, $2, $3)', [
        `raw_${rawSeq++}`,
        conversations[lane],
        content,
      ]);
    });
    const apiRate = apiLat.length / SECONDS;
    const rawRate = rawLat.length / SECONDS;
    rows.push({
      concurrency: c,
      'API msg/s': Math.round(apiRate),
      'API p50 ms': percentile(apiLat, 50),
      'API p99 ms': percentile(apiLat, 99),
      'raw INSERT/s': Math.round(rawRate),
      'raw p50 ms': percentile(rawLat, 50),
      'ratio API/raw': apiRate / rawRate,
    });
  }
  printTable(`Ingest: POST /v1/conversations/:id/messages vs raw single-row INSERT commits (${SECONDS}s per cell)`, rows);
  await http.close();
} finally {
  api.kill('SIGTERM');
  await pool.end();
  await db.stop();
}
