import { ConfigError } from '@warren/core';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../src/config.ts';

const base = { DATABASE_URL: 'postgres://warren@localhost/warren', PROXY_TOKEN_SECRET: 'x'.repeat(32) };

describe('worker configuration', () => {
  it('takes the webhook defaults: the published retry schedule, private destinations refused', () => {
    const config = loadWorkerConfig(base);
    expect(config.WEBHOOK_RETRY_SCHEDULE).toEqual([5, 300, 1800, 7200, 18_000, 36_000, 36_000]);
    expect(config.WEBHOOK_ALLOW_PRIVATE_DESTINATIONS).toBe(false);
    expect(config.HOOK_SECRET_KEY).toBeUndefined();
    expect(loadWorkerConfig({ ...base, WEBHOOK_RETRY_SCHEDULE: ' 1, 0.5 ,60' }).WEBHOOK_RETRY_SCHEDULE).toEqual([1, 0.5, 60]);
  });

  it.each([
    ['WEBHOOK_RETRY_SCHEDULE', '5,soon'],
    ['WEBHOOK_RETRY_SCHEDULE', '0'],
    ['WEBHOOK_RETRY_SCHEDULE', ''],
    ['WEBHOOK_RETRY_SCHEDULE', '999999999'],
    ['WEBHOOK_ALLOW_PRIVATE_DESTINATIONS', 'maybe'],
    ['WEBHOOK_TIMEOUT_MS', '-1'],
    ['HOOK_SECRET_KEY', 'not-a-key'],
  ])('refuses %s=%j, naming the variable and not its value', (name, value) => {
    const load = () => loadWorkerConfig({ ...base, [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(name);
    if (value.length > 3) expect(load).not.toThrow(value);
  });
});
