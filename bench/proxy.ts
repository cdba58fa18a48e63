// pnpm bench:proxy — latency the credential proxy adds (p50/p99 over 1,000 streaming and 1,000
// non-streaming calls, proxy and direct interleaved) and throughput at concurrency 32, proxy vs
// direct to the same zero-latency upstream, all measured in this run.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendUserMessage, createConversation } from '@warren/conversations';
import { mintTurnToken } from '@warren/credentials';
import { createPool, freePort, withTenant } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { claimTurn, renewLease, TURN_LEASE_SECONDS } from '@warren/turns';
import { Pool as HttpPool } from 'undici';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram, waitFor } from './lib/processes.ts';
import { percentile, printTable, runFor } from './lib/report.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = 32;
const TOKEN_SECRET = 'bench-token-secret-0123456789abcdef0123456789';
const UPSTREAM_KEY = 'sk-ant-bench-platform-key';

const db = await benchDatabase();
const dir = mkdtempSync(join(tmpdir(), 'warren-bench-proxy-'));
const socketPath = join(dir, 'proxy.sock');
const upstreamPort = await freePort();
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
const children = [
  startProgram('packages/fake-anthropic/src/main.ts', { PORT: String(upstreamPort) }),
  startProgram('apps/credential-proxy/src/main.ts', {
    DATABASE_URL: db.url,
    PROXY_SOCKET_PATH: socketPath,
    PROXY_TOKEN_SECRET: TOKEN_SECRET,
    ANTHROPIC_API_KEY: UPSTREAM_KEY,
    ANTHROPIC_UPSTREAM: upstreamUrl,
  }),
];

try {
  const pool = createPool(db.url, { max: 2, logger: benchLogger });
  const { tenant } = await provisionTenant(pool, { name: 'bench' });
  // the proxy serves only calls of a running turn: one, its lease renewed as a worker would
  const turn = await withTenant(pool, tenant.id, async (tx) => {
    const conversation = await createConversation(tx, {});
    await appendUserMessage(tx, conversation.id, { content: 'bench' });
    return (await claimTurn(tx, { conversationId: conversation.id, jobId: 'bench', kind: 'message' }))!;
  });
  const renew = () =>
    withTenant(pool, tenant.id, (tx) => renewLease(tx, turn)).catch((err: unknown) => console.error('lease renewal failed', err));
  const renewal = setInterval(renew, (TURN_LEASE_SECONDS * 1000) / 3);
  const token = mintTurnToken(TOKEN_SECRET, {
    tenantId: tenant.id,
    sandboxId: 'bench',
    turnId: turn.turnId,
    attempt: turn.attempt,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });

  const direct = new HttpPool(upstreamUrl, { connections: CONCURRENCY });
  const viaProxy = new HttpPool('http://credential-proxy', { connections: CONCURRENCY, connect: { socketPath } });
  const call = async (http: HttpPool, apiKey: string, stream: boolean) => {
    const res = await http.request({
      path: '/v1/messages',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': apiKey },
      body: JSON.stringify({
        model: 'claude-bench',
        max_tokens: 256,
        stream,
        messages: [{ role: 'user', content: 'Summarise the incident report in two lines.' }],
      }),
    });
    await res.body.text(); // the whole body: for a stream, up to message_stop
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  };
  await waitFor('fake upstream', async () => {
    await call(direct, UPSTREAM_KEY, false);
    return true;
  });
  await waitFor('credential proxy', async () => {
    if (!existsSync(socketPath)) return false;
    await call(viaProxy, token, false);
    return true;
  });

  const rows = [];
  for (const stream of [false, true]) {
    for (let i = 0; i < 100; i++) await Promise.all([call(direct, UPSTREAM_KEY, stream), call(viaProxy, token, stream)]); // warm-up
    const d: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      // interleaved, so drift in machine load hits both sides alike
      let t0 = performance.now();
      await call(direct, UPSTREAM_KEY, stream);
      d.push(performance.now() - t0);
      t0 = performance.now();
      await call(viaProxy, token, stream);
      p.push(performance.now() - t0);
    }
    rows.push({
      calls: `${CALLS} ${stream ? 'streaming' : 'non-streaming'}`,
      'direct p50 ms': percentile(d, 50),
      'proxy p50 ms': percentile(p, 50),
      'added p50 ms': percentile(p, 50) - percentile(d, 50),
      'direct p99 ms': percentile(d, 99),
      'proxy p99 ms': percentile(p, 99),
      'added p99 ms': percentile(p, 99) - percentile(d, 99),
    });
  }
  printTable('Credential proxy: added latency, sequential calls (proxy over its unix socket vs direct TCP to the upstream)', rows);

  const directRate = (await runFor(SECONDS * 1000, CONCURRENCY, () => call(direct, UPSTREAM_KEY, true))).length / SECONDS;
  const proxyRate = (await runFor(SECONDS * 1000, CONCURRENCY, () => call(viaProxy, token, true))).length / SECONDS;
  printTable(`Credential proxy: throughput at concurrency ${CONCURRENCY}, streaming (${SECONDS}s each)`, [
    { path: 'direct', 'calls/s': Math.round(directRate) },
    { path: 'through proxy', 'calls/s': Math.round(proxyRate) },
    { path: 'loss', 'calls/s': `${(100 * (1 - proxyRate / directRate)).toFixed(1)} %` },
  ]);
  await direct.close();
  await viaProxy.close();
  clearInterval(renewal);
  await pool.end();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
