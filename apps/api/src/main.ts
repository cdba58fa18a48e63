import { fileURLToPath } from 'node:url';
import { ConfigError, runService } from '@warren/core';
import { checkServerVersion, createPool, retryWhileUnreachable } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { buildApi } from './app.ts';
import { loadApiConfig } from './config.ts';

await runService('api', async (logger) => {
  const config = loadApiConfig();
  logger.level = config.LOG_LEVEL;
  const pool = createPool(config.DATABASE_URL, { max: config.DB_POOL_SIZE, applicationName: 'warren-api', logger });
  // Not awaited: with Postgres down the API listens and /readyz says it is not ready. The version
  // is checked once the database answers; a server Warren cannot run on ends the process.
  retryWhileUnreachable(() => checkServerVersion(pool), logger, 'server version checked').catch((err: unknown) => {
    logger.fatal({ err }, 'cannot run on this database');
    process.exit(err instanceof ConfigError ? 78 : 1);
  });
  const turnQueue = TurnQueue.connecting(config.DATABASE_URL, logger);
  const dashboardDir = config.DASHBOARD_DIR ?? fileURLToPath(new URL('../../dashboard/dist', import.meta.url));
  const app = await buildApi({ ...config, DASHBOARD_DIR: dashboardDir, pool, turnQueue, logger });
  await app.listen({ host: config.HOST, port: config.PORT });
  return {
    async stop() {
      await app.close();
      await turnQueue.stop();
      await pool.end();
    },
  };
});
