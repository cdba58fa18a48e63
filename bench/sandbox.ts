// pnpm bench:sandbox — sandbox start-up and hand-off, beside a bare `node -e` start in the same
// run: cold start to runner-ready (p50/p99), warm hand-off (turn input written → runner started
// the turn, p50/p99), and the resident memory of an idle warm sandbox.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { prepareRunner } from '@warren/agent-runner';
import { newId } from '@warren/core';
import { createPool, freePort } from '@warren/db';
import { BwrapDriver, descendantsOf, measureSandbox, prepareSandboxFolders, SandboxPool } from '@warren/sandbox';
import { provisionTenant } from '@warren/tenancy';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram, waitFor } from './lib/processes.ts';
import { percentile, printTable } from './lib/report.ts';

const STARTS = Number(process.env.BENCH_STARTS ?? 30);
const TURNS = Number(process.env.BENCH_TURNS ?? 100);
const TOKEN_SECRET = 'bench-token-secret-0123456789abcdef0123456789';
const PLATFORM_KEY = 'sk-ant-bench-platform-key';

const db = await benchDatabase();
const dir = mkdtempSync(join(tmpdir(), 'warren-bench-sandbox-'));
chmodSync(dir, 0o711); // the sandbox user must reach its folders
// in a folder of its own: sandboxes bind the socket's folder, which must hold nothing else
const proxySocket = join(dir, 'proxy', 'proxy.sock');
mkdirSync(dirname(proxySocket), { mode: 0o755 });
const upstreamPort = await freePort();
const children = [
  startProgram('packages/fake-anthropic/src/main.ts', { PORT: String(upstreamPort) }),
  startProgram('apps/credential-proxy/src/main.ts', {
    DATABASE_URL: db.url,
    PROXY_SOCKET_PATH: proxySocket,
    PROXY_TOKEN_SECRET: TOKEN_SECRET,
    ANTHROPIC_API_KEY: PLATFORM_KEY,
    ANTHROPIC_UPSTREAM: `http://127.0.0.1:${upstreamPort}`,
  }),
];
const driver = new BwrapDriver();
const launch = await prepareRunner(join(dir, 'runner-build'));
const limits = { memoryBytes: 512 * 1024 * 1024, pids: 256 };

/** Time from spawn to the first byte a program prints: its start-up cost. */
function bareNodeStart(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // A cleared environment, as inside a sandbox (the host's NODE_EXTRA_CA_CERTS alone costs ~45 ms).
    const child = spawn(process.execPath, ['-e', 'console.log(1)'], { env: {} });
    child.stdout.once('data', () => resolve(performance.now() - t0));
    child.once('error', reject);
  });
}

function rssKb(pid: number): number {
  return [pid, ...descendantsOf(pid)].reduce((sum, p) => {
    try {
      return sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return sum; // exited meanwhile
    }
  }, 0);
}

try {
  const pool = createPool(db.url, { max: 2, logger: benchLogger });
  const { tenant } = await provisionTenant(pool, { name: 'bench' });
  await pool.end();
  await waitFor('credential proxy', async () => existsSync(proxySocket));

  // 1. bare node vs node in a bubblewrap sandbox (same program, same cleared env)
  const bare: number[] = [];
  const boxed: number[] = [];
  const probeConversation = newId('conversation');
  const folders = await prepareSandboxFolders(join(dir, 'probe'), tenant.id, probeConversation);
  for (let i = 0; i < STARTS; i++) {
    bare.push(await bareNodeStart());
    const timings = await measureSandbox(driver, {
      sandboxId: `bench-${i}`,
      tenantId: tenant.id,
      conversationId: probeConversation,
      ...folders,
      proxySocket,
      command: [process.execPath, '-e', 'console.log(1)'],
      readOnlyPaths: launch.readOnlyPaths,
      env: {},
      limits,
    });
    boxed.push(timings.firstOutputMs ?? Number.NaN);
  }

  // 2. cold start of the agent runner, to its `ready` event, through SandboxPool
  const sandboxes = new SandboxPool({
    driver,
    root: join(dir, 'sandboxes'),
    proxySocket,
    runner: launch,
    limits,
    maxSandboxes: 4,
    logger: benchLogger,
  });
  await sandboxes.start();
  const cold: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const t0 = performance.now();
    const sandbox = await sandboxes.acquire(tenant.id, newId('conversation'));
    cold.push(performance.now() - t0);
    await sandboxes.close(sandbox, 'bench');
  }

  // 3. warm hand-off: one sandbox, many turns; input written → the runner's turn_started
  const conversationId = newId('conversation');
  const warm = await sandboxes.acquire(tenant.id, conversationId);
  const handOff: number[] = [];
  for (let i = 0; i < TURNS; i++) {
    const sent = Date.now();
    await warm.runTurn(
      {
        type: 'turn',
        turnId: `turn_bench_${i}`,
        tenantId: tenant.id,
        conversationId,
        model: 'claude-bench',
        systemPrompt: '',
        history: [],
        newMessages: [{ seq: i + 1, sender: null, content: 'ping' }],
        limits: { maxIterations: 1, maxTokens: 100, bashTimeoutMs: 1000, toolOutputBytes: 4096 },
        // no running turn behind it: the proxy refuses the model call, and only the hand-off is measured
        proxyToken: 'wtt1.bench',
      },
      { onStarted: (at) => handOff.push(at - sent) },
    );
  }
  await new Promise((r) => setTimeout(r, 1000)); // settle, then measure an idle warm sandbox
  const idleRssMb = rssKb(warm.process.pid) / 1024;
  await sandboxes.closeAll();

  const row = (what: string, samples: number[]) => ({
    measure: what,
    samples: samples.length,
    'p50 ms': percentile(samples, 50),
    'p99 ms': percentile(samples, 99),
  });
  printTable('Sandbox start-up and hand-off (bubblewrap, cgroup limits; Node started with a cleared env)', [
    row('baseline: bare `node -e` to first output', bare),
    row('`node -e` in a bwrap sandbox to first output', boxed),
    row('cold start: SandboxPool.acquire to runner ready', cold),
    row('warm hand-off: input written to turn started', handOff),
  ]);
  printTable('Idle warm sandbox', [{ measure: 'resident memory (bwrap + runner), MiB', value: idleRssMb }]);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
