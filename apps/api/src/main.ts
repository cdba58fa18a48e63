import { ConfigError, createLogger } from '@warren/core';
import { createPool } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { buildApi } from './app.ts';
import { loadApiConfig } from './config.ts';

const logger = createLogger('api');
try {
  const config = loadApiConfig();
  logger.level = config.LOG_LEVEL;
  const pool = createPool(config.DATABASE_URL, { max: config.DB_POOL_SIZE, applicationName: 'warren-api' });
  const turnQueue = await TurnQueue.start(config.DATABASE_URL);
  const app = await buildApi({ ...config, pool, turnQueue, logger });
  await app.listen({ host: config.HOST, port: config.PORT });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await turnQueue.stop();
    await pool.end();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`api: ${err.message}\n`);
    process.exit(78);
  }
  throw err;
}
