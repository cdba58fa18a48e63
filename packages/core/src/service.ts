import { ConfigError } from './config.ts';
import { createLogger, type Logger } from './logger.ts';

/**
 * The life of a Warren process: build it from its config, log as `name`, stop it once on
 * SIGINT or SIGTERM and exit 0. A bad configuration exits 78 (EX_CONFIG) with the message on
 * stderr; any other start-up failure is thrown.
 */
export async function runService(name: string, start: (logger: Logger) => Promise<{ stop(): Promise<void> }>): Promise<void> {
  const logger = createLogger(name);
  let service: { stop(): Promise<void> };
  try {
    service = await start(logger);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${name}: ${err.message}\n`);
    process.exit(78);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await service.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
