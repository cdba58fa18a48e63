import { createWarrenClient, type WarrenClient } from '@warren/client';
import { createLogger } from '@warren/core';
import { TurnQueue } from '@warren/queue';
import { createTestDatabase, type TestDatabase } from '@warren/testkit';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type ApiOptions, buildApi } from '../src/app.ts';

export const OPS_TOKEN = 'ops-token-for-tests-0123456789';
/** A fixed HOOK_SECRET_KEY (32 bytes, base64). */
export const TEST_HOOK_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

export interface ApiHarness {
  db: TestDatabase;
  app: FastifyInstance;
  /** Provisions a tenant through the admin API; returns its id and first key. */
  tenant(name?: string): Promise<{ id: string; key: string }>;
  call(key: string, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** The typed client (packages/client) for `key`, over real HTTP: the app listens on a free port from the first call. */
  client(key: string): Promise<WarrenClient>;
  close(): Promise<void>;
}

export async function startApiHarness(
  overrides: Partial<
    Pick<
      ApiOptions,
      | 'RATE_LIMIT_PER_MINUTE'
      | 'BODY_LIMIT_BYTES'
      | 'PROXY_PUBLIC_KEY'
      | 'DEFAULT_MAX_API_KEYS'
      | 'DEFAULT_MAX_CONVERSATIONS'
      | 'SKILL_UPLOAD_MAX_BYTES'
      | 'DEFAULT_MAX_SKILLS'
      | 'DEFAULT_MAX_ASSISTANTS'
      | 'INBOUND_BODY_LIMIT_BYTES'
      | 'DEFAULT_MAX_INBOUND_HOOKS'
      | 'DEFAULT_MAX_WEBHOOK_ENDPOINTS'
      | 'WEBHOOK_ALLOW_PRIVATE_DESTINATIONS'
      | 'DEFAULT_MAX_ACTIVE_TASKS'
      | 'SSE_MAX_STREAMS_PER_KEY'
      | 'SSE_MAX_BUFFER_BYTES'
      | 'SSE_HEARTBEAT_SECONDS'
      | 'METRICS_TOKEN'
      | 'TRUST_PROXY'
      | 'logger'
    >
  > = {},
) {
  const db = await createTestDatabase();
  const logger = overrides.logger ?? createLogger('api-test', { level: 'silent' });
  const turnQueue = await TurnQueue.start(db.url, logger);
  const app = await buildApi({
    pool: db.pool,
    turnQueue,
    logger,
    OPS_TOKEN,
    METRICS_TOKEN: overrides.METRICS_TOKEN,
    TRUST_PROXY: overrides.TRUST_PROXY ?? false,
    BODY_LIMIT_BYTES: overrides.BODY_LIMIT_BYTES ?? 256 * 1024,
    RATE_LIMIT_PER_MINUTE: overrides.RATE_LIMIT_PER_MINUTE ?? 100_000,
    PROXY_PUBLIC_KEY: overrides.PROXY_PUBLIC_KEY,
    DEFAULT_MAX_API_KEYS: overrides.DEFAULT_MAX_API_KEYS ?? 20,
    DEFAULT_MAX_CONVERSATIONS: overrides.DEFAULT_MAX_CONVERSATIONS ?? 10_000,
    DASHBOARD_SESSION_SECONDS: 3600,
    SKILL_UPLOAD_MAX_BYTES: overrides.SKILL_UPLOAD_MAX_BYTES ?? 5 * 1024 * 1024,
    DEFAULT_MAX_SKILLS: overrides.DEFAULT_MAX_SKILLS ?? 50,
    DEFAULT_MAX_ASSISTANTS: overrides.DEFAULT_MAX_ASSISTANTS ?? 200,
    HOOK_SECRET_KEY: TEST_HOOK_SECRET_KEY,
    INBOUND_BODY_LIMIT_BYTES: overrides.INBOUND_BODY_LIMIT_BYTES ?? 256 * 1024,
    DEFAULT_MAX_INBOUND_HOOKS: overrides.DEFAULT_MAX_INBOUND_HOOKS ?? 20,
    DEFAULT_MAX_WEBHOOK_ENDPOINTS: overrides.DEFAULT_MAX_WEBHOOK_ENDPOINTS ?? 10,
    WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: overrides.WEBHOOK_ALLOW_PRIVATE_DESTINATIONS ?? false,
    DEFAULT_MAX_ACTIVE_TASKS: overrides.DEFAULT_MAX_ACTIVE_TASKS ?? 100,
    DEFAULT_TASK_MIN_INTERVAL_SECONDS: 60,
    SSE_MAX_STREAMS_PER_KEY: overrides.SSE_MAX_STREAMS_PER_KEY ?? 100,
    SSE_HEARTBEAT_SECONDS: overrides.SSE_HEARTBEAT_SECONDS ?? 15,
    SSE_MAX_BUFFER_BYTES: overrides.SSE_MAX_BUFFER_BYTES ?? 1024 * 1024,
  });
  await app.ready();
  const call: ApiHarness['call'] = (key, method, url, body, headers = {}) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${key}`, ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  let listening: Promise<string> | undefined;
  const harness: ApiHarness = {
    db,
    app,
    call,
    async client(key) {
      listening ??= app.listen({ host: '127.0.0.1', port: 0 });
      return createWarrenClient({ baseUrl: await listening, apiKey: key });
    },
    async tenant(name = 'tenant') {
      const res = await call(OPS_TOKEN, 'POST', '/v1/admin/tenants', { name });
      if (res.statusCode !== 201) throw new Error(`provisioning failed: ${res.statusCode} ${res.body}`);
      const body = res.json();
      return { id: body.tenant.id, key: body.apiKey.key };
    },
    async close() {
      await app.close();
      await turnQueue.stop();
      await db.drop();
    },
  };
  return harness;
}
