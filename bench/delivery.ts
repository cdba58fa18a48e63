// pnpm bench:delivery — how fast a committed event reaches SSE clients: 1,000 streams open on one
// API process, messages posted one at a time; latency from the POST being sent to each stream
// receiving its event, beside the POST alone and a raw NOTIFY round trip on the same database.
// Outbound and inbound webhooks have their own benchmarks (bench:webhooks, bench:inbound).
import { ChangeListener, createPool, freePort } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { Agent, request } from 'undici';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram, waitFor } from './lib/processes.ts';
import { percentile, printTable } from './lib/report.ts';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100);
const OPS_TOKEN = 'bench-ops-token-0123456789abcdef';
const MARK = 'event: message.created';

const db = await benchDatabase();
const pool = createPool(db.url, { max: 8, logger: benchLogger });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const api = startProgram('apps/api/src/main.ts', {
  DATABASE_URL: db.url,
  OPS_TOKEN,
  PORT: String(port),
  RATE_LIMIT_PER_MINUTE: '100000000',
  SSE_MAX_STREAMS_PER_KEY: String(STREAMS),
});
const agent = new Agent({ connections: STREAMS + 16 });

try {
  await waitFor('API', async () => (await request(`${base}/readyz`, { dispatcher: agent })).statusCode === 200);
  const { apiKey } = await provisionTenant(pool, { name: 'bench' });
  const headers = { authorization: `Bearer ${apiKey.key}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown) => {
    const res = await request(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body), dispatcher: agent });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text);
  };
  const conv = (await post('/v1/conversations', { trigger: { mode: 'never' } })).id;

  // Each stream records when it received its k-th message.created.
  const arrivals: number[][] = [];
  const streams = await Promise.all(
    Array.from({ length: STREAMS }, async (_, s) => {
      const res = await request(`${base}/v1/events`, { headers, dispatcher: agent });
      if (res.statusCode !== 200) throw new Error(`stream ${s}: ${res.statusCode} ${await res.body.text()}`);
      const times: number[] = [];
      arrivals.push(times);
      let carry = '';
      res.body.on('data', (chunk: Buffer) => {
        const text = carry + chunk.toString();
        const now = performance.now();
        for (let i = text.indexOf(MARK); i !== -1; i = text.indexOf(MARK, i + MARK.length)) times.push(now);
        carry = text.slice(-MARK.length + 1);
      });
      res.body.on('error', (err) => benchLogger.debug({ err }, 'stream ended'));
      return res.body;
    }),
  );

  const sent: number[] = [];
  const postLatency: number[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const t0 = performance.now();
    sent.push(t0);
    await post(`/v1/conversations/${conv}/messages`, { content: `bench ${i}` });
    postLatency.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  await waitFor('every stream to receive every event', async () => arrivals.every((t) => t.length >= EVENTS));
  const delivered = arrivals.flatMap((times) => times.slice(0, EVENTS).map((t, k) => t - sent[k]!));

  // Baseline: NOTIFY from one connection to a LISTENing one, on the same database.
  let heard: () => void = () => {};
  const listener = new ChangeListener('bench_baseline', () => heard());
  await listener.listen(pool);
  const notify: number[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const t0 = performance.now();
    const got = new Promise<void>((r) => {
      heard = r;
    });
    await pool.query(`SELECT pg_notify('bench_baseline', $1)`, [String(i)]);
    await got;
    notify.push(performance.now() - t0);
  }
  await listener.close();

  printTable(`Event streams: ${EVENTS} messages posted one at a time, ${STREAMS} open SSE streams on one API process`, [
    {
      path: 'POST sent → event at each SSE client',
      samples: delivered.length,
      'p50 ms': percentile(delivered, 50),
      'p99 ms': percentile(delivered, 99),
    },
    {
      path: 'POST alone (ingest + commit)',
      samples: postLatency.length,
      'p50 ms': percentile(postLatency, 50),
      'p99 ms': percentile(postLatency, 99),
    },
    { path: 'baseline: raw NOTIFY round trip', samples: notify.length, 'p50 ms': percentile(notify, 50), 'p99 ms': percentile(notify, 99) },
  ]);
  console.log('Outbound webhooks: pnpm bench:webhooks. Inbound webhooks: pnpm bench:inbound.');
  for (const body of streams) body.destroy();
} finally {
  // the API stops before its database, which it would otherwise log as lost connections
  if (api.exitCode === null && api.signalCode === null) {
    await new Promise((resolve) => {
      api.once('exit', resolve);
      api.kill('SIGTERM');
    });
  }
  await agent.close();
  await pool.end();
  await db.stop();
}
