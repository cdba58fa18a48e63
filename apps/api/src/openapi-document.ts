import { createLogger } from '@warren/core';
import { createPool } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { buildApi } from './app.ts';

/** Nothing listens here: the app is built for its routes' schemas only and never reaches a database. */
const NO_DATABASE = 'postgres://openapi@127.0.0.1:9/none';

/**
 * The API's OpenAPI document, built in memory from the routes (no listener, no database): what
 * `GET /docs/json` serves and what packages/client is generated from.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const logger = createLogger('openapi', { level: 'silent' });
  const pool = createPool(NO_DATABASE, { logger });
  const turnQueue = TurnQueue.connecting(NO_DATABASE, logger);
  const app = await buildApi({
    pool,
    turnQueue,
    logger,
    OPS_TOKEN: 'x'.repeat(24),
    BODY_LIMIT_BYTES: 256 * 1024,
    RATE_LIMIT_PER_MINUTE: 6000,
    PROXY_PUBLIC_KEY: undefined,
    HOOK_SECRET_KEY: undefined,
    INBOUND_BODY_LIMIT_BYTES: 256 * 1024,
    DEFAULT_MAX_API_KEYS: 20,
    DEFAULT_MAX_CONVERSATIONS: 10_000,
    DEFAULT_MAX_INBOUND_HOOKS: 20,
  });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    await turnQueue.stop();
    await pool.end();
  }
}

/** The document as committed in packages/client/openapi.json: stable JSON, two-space indent. */
export const openApiDocumentText = async () => `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
