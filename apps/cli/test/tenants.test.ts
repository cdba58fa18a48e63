import { createTestDatabase, type TestDatabase } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let db: TestDatabase;
let env: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url };
});
afterAll(() => db.drop());

const limitsOf = async (id: string) =>
  (
    await db.pool.query(
      'SELECT monthly_token_budget::int AS budget, requests_per_minute AS rpm, max_concurrent_turns AS turns FROM control.tenants WHERE id = $1',
      [id],
    )
  ).rows[0];

describe('warren tenants', () => {
  it('creates a tenant with limits and changes them; `default` clears one', async () => {
    const created = await runCli(['tenants', 'create', '--name', 'acme', '--max-concurrent-turns', '3', '--requests-per-minute', '60'], env);
    expect(created.code).toBe(0);
    const id = /tenant: +(ten_\w+)/.exec(created.stdout)![1]!;
    expect(await limitsOf(id)).toEqual({ budget: null, rpm: 60, turns: 3 });

    const changed = await runCli(['tenants', 'limits', id, '--max-concurrent-turns', 'default', '--monthly-token-budget', '500000'], env);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('concurrent turns default');
    expect(await limitsOf(id)).toEqual({ budget: 500000, rpm: 60, turns: null });
  });

  it('refuses bad limits with a usage error and changes nothing', async () => {
    const created = await runCli(['tenants', 'create', '--name', 'strict', '--max-concurrent-turns', '2'], env);
    const id = /tenant: +(ten_\w+)/.exec(created.stdout)![1]!;
    for (const args of [['--max-concurrent-turns', '0'], ['--max-concurrent-turns', 'lots'], ['--max-concurrent-turns', '100000'], []]) {
      const res = await runCli(['tenants', 'limits', id, ...args], env);
      expect(res.code, args.join(' ')).toBe(64);
    }
    expect(await limitsOf(id)).toEqual({ budget: null, rpm: null, turns: 2 });
    expect((await runCli(['tenants', 'limits', 'ten_01h2xcejqtf2nbrexx3vqjhp41', '--max-concurrent-turns', '4'], env)).code).toBe(1);
  });
});
