// pnpm bench:webhooks — outbound webhook throughput: BENCH_DELIVERIES events committed in
// batches for a tenant with one endpoint; one worker fans them out and POSTs each, signed, to a
// receiver on this machine. Deliveries/s and commit → received latency (p50/p99), beside the same
// number of signed POSTs sent straight to the receiver at the worker's concurrency (the HTTP
// path alone, no queue and no database).
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendUserMessage, createConversation } from '@warren/conversations';
import { createPool, withTenant } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { createEndpoint, sendAttempt, signedHeaders } from '@warren/webhooks';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram } from './lib/processes.ts';
import { percentile, printTable } from './lib/report.ts';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const BATCH = 100;
const HOOK_SECRET_KEY = Buffer.alloc(32, 5).toString('base64');

const db = await benchDatabase();
const pool = createPool(db.url, { max: 4, logger: benchLogger });
/** Receipt time by the message's text, as the receiver parsed it. */
const received = new Map<string, number>();
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString());
    received.set(body.data.content, performance.now());
    res.end('ok');
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
const dir = mkdtempSync(join(tmpdir(), 'warren-bench-webhooks-'));
chmodSync(dir, 0o711); // the sandboxes' user must reach the runner inside
const worker = startProgram('apps/worker/src/main.ts', {
  DATABASE_URL: db.url,
  PROXY_TOKEN_SECRET: 'bench-token-secret-0123456789abcdef0123456789',
  SANDBOX_ROOT: join(dir, 'sandboxes'),
  HOOK_SECRET_KEY,
  WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true',
  WEBHOOK_CONCURRENCY: String(CONCURRENCY),
});

const waitUntil = async (done: () => boolean) => {
  while (!done()) await new Promise((r) => setTimeout(r, 20));
};

try {
  const { tenant } = await provisionTenant(pool, { name: 'bench' });
  const { conversationId, secret } = await withTenant(pool, tenant.id, async (tx) => {
    const conversation = await createConversation(tx, { triggerMode: 'never' });
    const endpoint = await createEndpoint(
      tx,
      { url: new URL(url), description: 'bench', eventTypes: ['message.created'], enabled: true },
      { sealingKey: HOOK_SECRET_KEY, destinations: { allowPrivate: true }, defaultMax: 10 },
    );
    return { conversationId: conversation.id, secret: endpoint.secret };
  });
  // one delivery first: the worker is up and fanning out before the clock starts
  await withTenant(pool, tenant.id, (tx) => appendUserMessage(tx, conversationId, { content: 'warm-up' }));
  await waitUntil(() => received.has('warm-up'));

  const committed = new Map<string, number>();
  const started = performance.now();
  for (let b = 0; b < DELIVERIES / BATCH; b++) {
    const texts = Array.from({ length: BATCH }, (_, i) => `event ${b * BATCH + i}`);
    await withTenant(pool, tenant.id, async (tx) => {
      for (const content of texts) await appendUserMessage(tx, conversationId, { content });
    });
    const at = performance.now();
    for (const content of texts) committed.set(content, at);
  }
  await waitUntil(() => [...committed.keys()].every((k) => received.has(k)));
  const last = Math.max(...[...committed.keys()].map((k) => received.get(k)!));
  const latencies = [...committed].map(([k, at]) => received.get(k)! - at);

  // Baseline: the same signed POSTs from here, CONCURRENCY at a time.
  received.clear();
  const bodies = Array.from({ length: DELIVERIES }, (_, i) =>
    JSON.stringify({ type: 'message.created', timestamp: new Date().toISOString(), data: { content: `direct ${i}` } }),
  );
  let next = 0;
  const directStart = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const body = bodies[i]!;
        const outcome = await sendAttempt(url, signedHeaders([secret], `dlv_${i}`, new Date(), body), body, {
          timeoutMs: 15_000,
          destinations: { allowPrivate: true },
        });
        if (outcome.statusCode !== 200) throw new Error(`direct POST failed: ${outcome.error}`);
      }
    }),
  );
  const directSeconds = (performance.now() - directStart) / 1000;

  printTable(`Outbound webhooks: ${DELIVERIES} events in batches of ${BATCH}, 1 worker, ${CONCURRENCY} attempts at once`, [
    {
      path: 'event committed → receiver (Warren)',
      'deliveries/s': DELIVERIES / ((last - started) / 1000),
      'p50 ms': percentile(latencies, 50),
      'p99 ms': percentile(latencies, 99),
    },
    { path: 'signed POST straight to the receiver (baseline)', 'deliveries/s': DELIVERIES / directSeconds, 'p50 ms': '-', 'p99 ms': '-' },
  ]);
} finally {
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  receiver.close();
  await pool.end();
  await db.stop();
}
