import { ConfigError } from '@warren/core';
import { loadFakeAnthropicConfig } from './config.ts';
import { startFakeAnthropic } from './server.ts';

try {
  const config = loadFakeAnthropicConfig();
  const fake = await startFakeAnthropic({
    host: config.HOST,
    port: config.PORT,
    failureRate: config.FAKE_ANTHROPIC_FAILURE_RATE,
    ...(config.FAKE_ANTHROPIC_API_KEY === undefined ? {} : { apiKey: config.FAKE_ANTHROPIC_API_KEY }),
  });
  process.stdout.write(`fake-anthropic listening on ${fake.url}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await fake.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`fake-anthropic: ${err.message}\n`);
    process.exit(78);
  }
  throw err;
}
