import { runService } from '@warren/core';
import { loadWorkerConfig } from './config.ts';
import { startWorker } from './start.ts';

await runService('worker', async (logger) => {
  const config = loadWorkerConfig();
  logger.level = config.LOG_LEVEL;
  return startWorker(config, logger);
});
