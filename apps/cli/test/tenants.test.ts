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
    const created = await runCli(
      ['tenants', 'create', '--name', 'acme', '--max-concurrent-turns', '3', '--requests-per-minute', '60'],
      env,
    );
    expect(created.code).toBe(0);
    const id = /tenant: +(ten_\w+)/.exec(created.stdout)![1]!;
    expect(await limitsOf(id)).toEqual({ budget: null, rpm: 60, turns: 3 });

    const changed = await runCli(['tenants', 'limits', id, '--max-concurrent-turns', 'default', '--monthly-token-budget', '500000'], env);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('max-concurrent-turns default');
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

describe('warren tenants: quota and sandbox limits', () => {
  const quotaOf = async (id: string) =>
    (
      await db.pool.query(
        `SELECT max_api_keys, max_conversations, workspace_bytes::float8 AS workspace_bytes, turn_max_outputs, turn_max_output_bytes, sandbox_cpu_percent
           FROM control.tenants WHERE id = $1`,
        [id],
      )
    ).rows[0];

  it('takes every per-tenant limit at create and in limits; `default` resets one', async () => {
    const limits = {
      max_api_keys: 5,
      max_conversations: 100,
      workspace_bytes: 8 * 1024 ** 3,
      turn_max_outputs: 10,
      turn_max_output_bytes: 65536,
      sandbox_cpu_percent: 200,
    };
    const flags = Object.entries(limits).flatMap(([column, value]) => [`--${column.replaceAll('_', '-')}`, String(value)]);
    const created = await runCli(['tenants', 'create', '--name', 'quota', ...flags], env);
    expect(created.code, created.stderr).toBe(0);
    const id = /tenant: +(ten_\w+)/.exec(created.stdout)![1]!;
    expect(await quotaOf(id)).toEqual(limits);

    const changed = await runCli(['tenants', 'limits', id, '--workspace-bytes', 'default', '--max-api-keys', '7'], env);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain('workspace-bytes default');
    expect(changed.stdout).toContain('max-api-keys 7');
    expect(await quotaOf(id)).toMatchObject({ max_api_keys: 7, workspace_bytes: null, sandbox_cpu_percent: 200 });
  });

  it('refuses values outside the column type or range', async () => {
    const created = await runCli(['tenants', 'create', '--name', 'bounded'], env);
    const id = /tenant: +(ten_\w+)/.exec(created.stdout)![1]!;
    const bad = [
      ['--max-conversations', String(2 ** 31)],
      ['--turn-max-output-bytes', '1.5'],
      ['--sandbox-cpu-percent', '0'],
      ['--workspace-bytes', '1e30'],
    ];
    for (const args of bad) {
      expect((await runCli(['tenants', 'limits', id, ...args], env)).code, args.join(' ')).toBe(64);
    }
    expect((await runCli(['tenants', 'create', '--name', 'zero-keys', '--max-api-keys', '0'], env)).code).toBe(64);
  });
});
