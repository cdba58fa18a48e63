import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@warren/core';
import { mintSandboxToken } from '@warren/credentials';
import { startFakeAnthropic, type FakeAnthropic } from '@warren/fake-anthropic';
import { createCredentialProxy, TenantPolicies, UsageMeter } from '@warren/proxy';
import { provisionTenant } from '@warren/tenancy';
import { createTestDatabase, type TestDatabase } from '@warren/testkit';
import type { TurnInput } from '@warren/ipc';

export const PLATFORM_KEY = 'sk-ant-platform-key-for-sandbox-tests';
const TOKEN_SECRET = 'sandbox-test-token-secret-0123456789abcdef';
/** A real credential proxy on a unix socket in front of the fake Messages API, over a test database. */
export interface ModelStack {
  db: TestDatabase;
  fake: FakeAnthropic;
  proxySocket: string;
  tenantId: string;
  dir: string;
  logger: Logger;
  mintToken(tenantId: string, sandboxId: string): string;
  close(): Promise<void>;
}

export async function startModelStack(): Promise<ModelStack> {
  const db = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'warren-sandbox-test-'));
  chmodSync(dir, 0o711); // sandboxes run as an unprivileged user, who must traverse to their folders
  const logger = createLogger('sandbox-test', { level: 'warn' });
  const fake = await startFakeAnthropic({ apiKey: PLATFORM_KEY });
  const meter = new UsageMeter(db.pool, logger, 1000);
  const policies = new TenantPolicies({ pool: db.pool, keyPair: undefined, ttlMs: 10_000, logger, metered: (t) => meter.spentBy(t) });
  const proxy = createCredentialProxy({
    tokenSecret: TOKEN_SECRET,
    upstream: fake.url,
    platformKey: PLATFORM_KEY,
    defaults: { monthlyTokenBudget: null, requestsPerMinute: null },
    policies,
    meter,
    logger,
  });
  const proxySocket = join(dir, 'proxy.sock');
  const server: Server = createServer(proxy.handle);
  await new Promise<void>((resolve) => server.listen(proxySocket, resolve));
  chmodSync(proxySocket, 0o666);
  const { tenant } = await provisionTenant(db.pool, { name: 'sandboxed' });
  return {
    db,
    fake,
    proxySocket,
    tenantId: tenant.id,
    dir,
    logger,
    mintToken: (tenantId, sandboxId) =>
      mintSandboxToken(TOKEN_SECRET, { tenantId, sandboxId, expiresAt: Math.floor(Date.now() / 1000) + 3600 }),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await proxy.close();
      await meter.close();
      await fake.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let turnCounter = 0;

export function turnInput(tenantId: string, conversationId: string, content: string, history: TurnInput['history'] = []): TurnInput {
  return {
    type: 'turn',
    turnId: `turn_test_${++turnCounter}`,
    tenantId,
    conversationId,
    model: 'claude-test',
    systemPrompt: 'You are a test assistant.',
    history,
    newMessages: [{ seq: 1, sender: null, content }],
    limits: { maxIterations: 5, maxTokens: 4000, bashTimeoutMs: 10_000, toolOutputBytes: 16_384 },
  };
}
