// pnpm bench:inbound — a signed inbound webhook (POST /hooks/:id, Standard Webhooks) to its
// committed message, p50/p99 at concurrency 1 and 16, beside a plain authenticated
// POST /v1/conversations/:id/messages in the same run against the same API process.
import { once } from 'node:events';
import { createWarrenClient } from '@warren/client';
import { generateSecretBoxKey } from '@warren/credentials';
import { createPool, freePort } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { Webhook } from 'standardwebhooks';
import { Pool as HttpPool } from 'undici';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram, waitFor } from './lib/processes.ts';
import { percentile, printTable, runFor } from './lib/report.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LEVELS = [1, 16];
const OPS_TOKEN = 'bench-ops-token-0123456789abcdef';

const db = await benchDatabase();
const pool = createPool(db.url, { max: 4, logger: benchLogger });
const port = await freePort();
const api = startProgram('apps/api/src/main.ts', {
  DATABASE_URL: db.url,
  OPS_TOKEN,
  PORT: String(port),
  DB_POOL_SIZE: '32',
  RATE_LIMIT_PER_MINUTE: '100000000',
  HOOK_SECRET_KEY: await generateSecretBoxKey(),
  DEFAULT_MAX_INBOUND_HOOKS: '100',
});

try {
  const base = `http://127.0.0.1:${port}`;
  const http = new HttpPool(base, { connections: 32, pipelining: 1 });
  await waitFor('API', async () => (await http.request({ path: '/readyz', method: 'GET' })).statusCode === 200);
  const { apiKey } = await provisionTenant(pool, { name: 'bench' });
  const warren = createWarrenClient({ baseUrl: base, apiKey: apiKey.key });
  /** The created resource, or the refusal's problem as an error. */
  const created = <T>(res: { data?: T; error?: unknown }): T => {
    if (!res.data) throw new Error(`setup refused: ${JSON.stringify(res.error)}`);
    return res.data;
  };

  // Per lane: one conversation for plain posts, one for a hook with a fixed conversation, and a
  // hook that finds its conversation by external id (created on the first delivery).
  const lanes = await Promise.all(
    Array.from({ length: Math.max(...LEVELS) }, async (_, lane) => {
      const plain = created(await warren.POST('/v1/conversations', { body: {} })).id;
      const target = created(await warren.POST('/v1/conversations', { body: {} })).id;
      const fixed = created(
        await warren.POST('/v1/inbound-hooks', {
          body: { name: `fixed-${lane}`, conversation: { id: target }, text: { pointer: '/text' } },
        }),
      );
      const byExternalId = created(
        await warren.POST('/v1/inbound-hooks', {
          body: { name: `ext-${lane}`, conversation: { externalIdPointer: '/thread' }, text: { pointer: '/text' } },
        }),
      );
      return { plain, fixed, byExternalId, thread: `thread-${lane}` };
    }),
  );

  const text = 'The build is broken again, can you take a look at the failing tests?';
  const expect = async (res: Awaited<ReturnType<HttpPool['request']>>, status: number, what: string) => {
    const body = await res.body.text();
    if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${body}`);
  };
  const plainPost = async (lane: number) => {
    const res = await http.request({
      path: `/v1/conversations/${lanes[lane]!.plain}/messages`,
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: text }),
    });
    await expect(res, 201, 'POST /messages');
  };
  let deliveries = 0;
  const delivery = (hook: { id: string; secret: string }, payload: unknown) => async () => {
    const body = JSON.stringify(payload);
    const id = `evt_${++deliveries}`;
    const at = new Date();
    const res = await http.request({
      path: `/hooks/${hook.id}`,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(hook.secret).sign(id, at, body),
      },
      body,
    });
    await expect(res, 201, 'POST /hooks');
  };
  const cases: Array<[string, (lane: number) => Promise<void>]> = [
    ['POST /v1/conversations/:id/messages (API key)', plainPost],
    ['POST /hooks/:id, fixed conversation', (lane) => delivery(lanes[lane]!.fixed, { text })()],
    [
      'POST /hooks/:id, conversation by external id',
      (lane) => delivery(lanes[lane]!.byExternalId, { thread: lanes[lane]!.thread, text })(),
    ],
  ];

  const rows = [];
  for (const c of LEVELS) {
    for (const [name, op] of cases) {
      await runFor(1000, c, op); // warm-up (and the external-id conversations' first sight)
      const lat = await runFor(SECONDS * 1000, c, op);
      rows.push({
        concurrency: c,
        path: name,
        'req/s': Math.round(lat.length / SECONDS),
        'p50 ms': percentile(lat, 50),
        'p99 ms': percentile(lat, 99),
      });
    }
  }
  printTable(`Inbound webhook → committed message (with its turn job) vs an authenticated POST (${SECONDS}s per cell)`, rows);
  await http.close();
} finally {
  api.kill('SIGTERM');
  await once(api, 'exit'); // before the database goes, so the API stops cleanly
  await pool.end();
  await db.stop();
}
