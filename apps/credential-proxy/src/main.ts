import { ConfigError, createLogger } from '@warren/core';
import { loadProxyConfig } from './config.ts';
import { startProxy } from './start.ts';

const logger = createLogger('credential-proxy');
try {
  const config = loadProxyConfig();
  logger.level = config.LOG_LEVEL;
  const proxy = await startProxy(config, logger);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await proxy.close(); // flushes metered usage
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`credential-proxy: ${err.message}\n`);
    process.exit(78);
  }
  throw err;
}
