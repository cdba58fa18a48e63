import { runService } from '@warren/core';
import { loadProxyConfig } from './config.ts';
import { startProxy } from './start.ts';

await runService('credential-proxy', async (logger) => {
  const config = loadProxyConfig();
  logger.level = config.LOG_LEVEL;
  const proxy = await startProxy(config, logger);
  return { stop: () => proxy.close() }; // flushes metered usage
});
