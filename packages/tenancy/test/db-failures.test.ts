import { newId } from '@warren/core';
import { withTenant } from '@warren/db';
import { captureLogs, createTestDatabase, superuserClient, type TestDatabase } from '@warren/testkit';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Failures of the database layer surface, against a real Postgres that ends connections.

const logs = captureLogs('db-failures');
let db: TestDatabase;
let admin: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase({ logger: logs.logger });
  admin = await superuserClient(new URL(db.url).pathname.slice(1));
});
afterAll(async () => {
  await admin.end();
  await db.drop();
});

describe('the pool', () => {
  it('logs an idle connection the server ends, with its stack, and goes on with a new one', async () => {
    await db.pool.query('SELECT 1'); // leaves an idle client in the pool
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    await expect.poll(() => logs.records.find((r) => r.msg.startsWith('an idle database connection failed'))).toBeDefined();
    const line = logs.records.find((r) => r.msg.startsWith('an idle database connection failed'))!;
    expect(line.level).toBe(40);
    expect(line.err?.message).toMatch(/terminating connection/);
    expect(line.err?.stack).toMatch(/\n\s+at /);
    expect((await db.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
  });
});

describe('withTenant', () => {
  it('fails with why it could not act as the tenant, not with the aborted transaction that follows', async () => {
    const neverProvisioned = newId('tenant'); // a valid id whose role does not exist
    await expect(withTenant(db.pool, neverProvisioned, (tx) => tx.client.query('SELECT 1'))).rejects.toThrow(/role "t_\w+" does not exist/);
    await expect(withTenant(db.pool, neverProvisioned, async () => 'no query')).rejects.toThrow(/role "t_\w+" does not exist/);
  });
});
