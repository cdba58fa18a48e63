import { ConfigError, createLogger } from '@warren/core';
import { loadWorkerConfig } from './config.ts';
import { startWorker } from './start.ts';

const logger = createLogger('worker');
try {
  const config = loadWorkerConfig();
  logger.level = config.LOG_LEVEL;
  const worker = await startWorker(config, logger);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await worker.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`worker: ${err.message}\n`);
    process.exit(78);
  }
  throw err;
}
