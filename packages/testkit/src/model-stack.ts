import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@warren/core';
import { mintTurnToken } from '@warren/credentials';
import { type FakeAnthropic, startFakeAnthropic } from '@warren/fake-anthropic';
import { createCredentialProxy, TenantPolicies, UsageMeter } from '@warren/proxy';
import { unmountAllUnder } from '@warren/sandbox';
import type { ClaimedTurn } from '@warren/turns';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { openTurn } from './running-turn.ts';

export const TEST_PLATFORM_KEY = 'sk-ant-platform-key-for-tests';
export const TEST_TOKEN_SECRET = 'test-token-secret-0123456789abcdef0123456789';

/** A fresh database, the fake Messages API, and a real credential proxy on a unix socket in front of it. */
export interface ModelStack {
  db: TestDatabase;
  fake: FakeAnthropic;
  proxySocket: string;
  /** A temporary folder (mode 0711, so sandboxes can reach folders below it), removed by close(). */
  dir: string;
  logger: Logger;
  /** A running turn of the tenant (in a conversation of its own) and its token for the proxy. */
  startTurn(tenantId: string, sandboxId?: string): Promise<{ turn: ClaimedTurn; token: string }>;
  /** Stops the proxy's socket and listens anew at the same path, as a restarted proxy does. */
  restartProxy(): Promise<void>;
  close(): Promise<void>;
}

/** `db`: a database of the caller's (dropped by close) instead of a fresh one on the run's server. */
export async function startModelStack(options: { db?: TestDatabase } = {}): Promise<ModelStack> {
  const logger = createLogger('test-stack', { level: 'warn' });
  const db = options.db ?? (await createTestDatabase({ logger }));
  const dir = mkdtempSync(join(tmpdir(), 'warren-stack-'));
  chmodSync(dir, 0o711);
  const fake = await startFakeAnthropic({ apiKey: TEST_PLATFORM_KEY });
  const meter = new UsageMeter(db.pool, logger, 1000);
  const policies = new TenantPolicies({ pool: db.pool, keyPair: undefined, ttlMs: 10_000, logger, flushed: (t) => meter.flushedBy(t) });
  const proxy = createCredentialProxy({
    tokenSecret: TEST_TOKEN_SECRET,
    upstream: fake.url,
    platformKey: TEST_PLATFORM_KEY,
    defaults: { monthlyTokenBudget: null, requestsPerMinute: null },
    bodyLimitBytes: 8 * 1024 * 1024,
    pool: db.pool,
    policies,
    meter,
    logger,
  });
  // in a directory of its own, as the proxy keeps it: sandboxes bind the socket's directory
  const proxySocket = join(dir, 'proxy', 'proxy.sock');
  mkdirSync(join(dir, 'proxy'), { mode: 0o755 });
  const listen = async () => {
    const server: Server = createServer(proxy.handle);
    await new Promise<void>((resolve) => server.listen(proxySocket, resolve));
    chmodSync(proxySocket, 0o666);
    return server;
  };
  const stopListening = async (server: Server) => {
    // in-flight requests (a sandbox killed mid-call leaves one) must not hold the close open
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  let server = await listen();
  return {
    db,
    fake,
    proxySocket,
    dir,
    logger,
    async startTurn(tenantId, sandboxId = 'sbx-test') {
      const turn = await openTurn(db.pool, tenantId);
      const claims = { tenantId, sandboxId, turnId: turn.turnId, attempt: turn.attempt, expiresAt: Math.floor(Date.now() / 1000) + 3600 };
      return { turn, token: mintTurnToken(TEST_TOKEN_SECRET, claims) };
    },
    async restartProxy() {
      await stopListening(server);
      server = await listen(); // a new socket, a new inode, at the same path
    },
    async close() {
      await stopListening(server);
      await proxy.close();
      await meter.close();
      await fake.close();
      await db.drop();
      // workers killed by a test leave their sandboxes' workspace and IPC mounts behind
      await unmountAllUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
