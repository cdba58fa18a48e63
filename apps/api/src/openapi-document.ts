import { createLogger } from '@warren/core';
import { createPool } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { buildApi } from './app.ts';
import { apiConfigSchema } from './config.ts';

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
  // The configuration's defaults (descriptions name some), whatever the generator's environment.
  const config = apiConfigSchema.parse({ DATABASE_URL: NO_DATABASE, OPS_TOKEN: 'x'.repeat(24) });
  const app = await buildApi({ ...config, pool, turnQueue, logger });
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
