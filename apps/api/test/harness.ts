import { createLogger } from '@warren/core';
import { TurnQueue } from '@warren/queue';
import { createTestDatabase, type TestDatabase } from '@warren/testkit';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type ApiOptions, buildApi } from '../src/app.ts';

export const OPS_TOKEN = 'ops-token-for-tests-0123456789';

export interface ApiHarness {
  db: TestDatabase;
  app: FastifyInstance;
  /** Provisions a tenant through the admin API; returns its id and first key. */
  tenant(name?: string): Promise<{ id: string; key: string }>;
  call(key: string, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
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
      | 'SSE_MAX_STREAMS_PER_KEY'
      | 'SSE_MAX_BUFFER_BYTES'
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
    BODY_LIMIT_BYTES: overrides.BODY_LIMIT_BYTES ?? 256 * 1024,
    RATE_LIMIT_PER_MINUTE: overrides.RATE_LIMIT_PER_MINUTE ?? 100_000,
    PROXY_PUBLIC_KEY: overrides.PROXY_PUBLIC_KEY,
    DEFAULT_MAX_API_KEYS: overrides.DEFAULT_MAX_API_KEYS ?? 20,
    DEFAULT_MAX_CONVERSATIONS: overrides.DEFAULT_MAX_CONVERSATIONS ?? 10_000,
    SSE_MAX_STREAMS_PER_KEY: overrides.SSE_MAX_STREAMS_PER_KEY ?? 100,
    SSE_HEARTBEAT_SECONDS: 15,
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
  const harness: ApiHarness = {
    db,
    app,
    call,
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
