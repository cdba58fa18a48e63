import { appendUserMessage, createConversation } from '@warren/conversations';
import { newId } from '@warren/core';
import { tenantSchemaName, withTenant } from '@warren/db';
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

describe('warren tenants export and delete', () => {
  const seed = async (name: string) => {
    const created = await runCli(['tenants', 'create', '--name', name], env);
    const id = /tenant: +(ten_\w+)/.exec(created.stdout)![1]!;
    const key = /api key: +(\S+)/.exec(created.stdout)![1]!;
    await withTenant(db.pool, id, async (tx) => {
      const conv = await createConversation(tx, { title: `${name} chat` });
      await appendUserMessage(tx, conv.id, { content: `${name} secret` });
    });
    // an inbound hook: its control entry (found by its foreign key on removal) and its row, secret sealed
    const hookId = newId('inboundHook');
    await db.pool.query('INSERT INTO control.inbound_hooks (id, tenant_id) VALUES ($1, $2)', [hookId, id]);
    await withTenant(db.pool, id, (tx) =>
      tx.client.query(
        `INSERT INTO inbound_hooks (id, name, scheme, sealed_secret, mapping) VALUES ($1, 'ci', 'github', 'sealed-${name}', '{}')`,
        [hookId],
      ),
    );
    // a webhook endpoint, the same way: control entry and row, secrets sealed
    const endpointId = newId('webhookEndpoint');
    await db.pool.query('INSERT INTO control.webhook_endpoints (id, tenant_id) VALUES ($1, $2)', [endpointId, id]);
    await withTenant(db.pool, id, (tx) =>
      tx.client.query(
        `INSERT INTO webhook_endpoints (id, url, sealed_secret, sealed_previous_secret, cursor_xid, cursor_id)
         VALUES ($1, 'https://r.example/', 'sealed-ep-${name}', 'sealed-old-${name}', '0', 0)`,
        [endpointId],
      ),
    );
    return { id, key };
  };

  it("exports one tenant's rows as JSON lines, without key hashes, and nothing of another tenant", async () => {
    const mine = await seed('exported');
    await seed('bystander');
    const res = await runCli(['tenants', 'export', mine.id], env);
    expect(res.code).toBe(0);
    const lines = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { table: string; row: Record<string, unknown> });
    const tables = new Set(lines.map((l) => l.table));
    expect([...tables]).toEqual(expect.arrayContaining(['control.tenants', 'control.api_keys', 'conversations', 'messages', 'cursors']));
    expect(lines.find((l) => l.table === 'messages')?.row.content).toBe('exported secret');
    expect(lines.find((l) => l.table === 'control.api_keys')?.row).not.toHaveProperty('hash');
    expect(lines.find((l) => l.table === 'inbound_hooks')?.row).toMatchObject({ name: 'ci' });
    expect(lines.find((l) => l.table === 'webhook_endpoints')?.row).toMatchObject({ url: 'https://r.example/' });
    expect(res.stdout).not.toContain('sealed-exported');
    expect(res.stdout).not.toContain('sealed-ep-exported');
    expect(res.stdout).not.toContain('sealed-old-exported');
    expect(res.stdout).not.toContain('bystander');
    expect(res.stdout).not.toContain(mine.key);
  });

  it('deletes only with the id repeated: schema, role, keys and control rows gone, other tenants untouched', async () => {
    const doomed = await seed('doomed');
    const other = await seed('survivor');
    const counts = async (id: string) =>
      (
        await db.pool.query(
          `SELECT (SELECT count(*)::int FROM control.tenants WHERE id = $1) AS tenants,
                  (SELECT count(*)::int FROM control.api_keys WHERE tenant_id = $1) AS keys,
                  (SELECT count(*)::int FROM control.inbound_hooks WHERE tenant_id = $1) AS hooks,
                  (SELECT count(*)::int FROM control.webhook_endpoints WHERE tenant_id = $1) AS endpoints,
                  (SELECT count(*)::int FROM pg_namespace WHERE nspname = $2) AS schemas,
                  (SELECT count(*)::int FROM pg_roles WHERE rolname = $2) AS roles`,
          [id, tenantSchemaName(id)],
        )
      ).rows[0];
    const refused = await runCli(['tenants', 'delete', doomed.id], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`--confirm ${doomed.id}`);
    expect((await runCli(['tenants', 'delete', doomed.id, '--confirm', other.id], env)).code).toBe(1);
    expect(await counts(doomed.id)).toEqual({ tenants: 1, keys: 1, hooks: 1, endpoints: 1, schemas: 1, roles: 1 });

    const deleted = await runCli(['tenants', 'delete', doomed.id, '--confirm', doomed.id], env);
    expect(deleted.code).toBe(0);
    expect(await counts(doomed.id)).toEqual({ tenants: 0, keys: 0, hooks: 0, endpoints: 0, schemas: 0, roles: 0 });
    expect(await counts(other.id)).toEqual({ tenants: 1, keys: 1, hooks: 1, endpoints: 1, schemas: 1, roles: 1 });
    const survivor = await withTenant(db.pool, other.id, async (tx) => (await tx.client.query('SELECT content FROM messages')).rows);
    expect(survivor).toEqual([{ content: 'survivor secret' }]);
    expect((await runCli(['tenants', 'delete', doomed.id, '--confirm', doomed.id], env)).code).toBe(1);
  });
});
