import { runService } from '@warren/core';
import { checkServerVersion, createPool } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { buildApi } from './app.ts';
import { loadApiConfig } from './config.ts';

await runService('api', async (logger) => {
  const config = loadApiConfig();
  logger.level = config.LOG_LEVEL;
  const pool = createPool(config.DATABASE_URL, { max: config.DB_POOL_SIZE, applicationName: 'warren-api', logger });
  await checkServerVersion(pool);
  const turnQueue = await TurnQueue.start(config.DATABASE_URL, logger);
  const app = await buildApi({ ...config, pool, turnQueue, logger });
  await app.listen({ host: config.HOST, port: config.PORT });
  return {
    async stop() {
      await app.close();
      await turnQueue.stop();
      await pool.end();
    },
  };
});
