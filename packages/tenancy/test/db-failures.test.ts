import { newId } from '@warren/core';
import { withTenant } from '@warren/db';
import { captureLogs, createTestDatabase, superuserClient, type TestDatabase } from '@warren/testkit';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionTenant } from '../src/index.ts';

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

describe('a connection lost while a caller holds it', () => {
  it('fails that caller, and does not end the process (an unhandled client error event would)', async () => {
    const { tenant } = await provisionTenant(db.pool, { name: 'lost-connection' });
    const crashes: unknown[] = [];
    const onUncaught = (err: unknown) => crashes.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const held = withTenant(db.pool, tenant.id, async (tx) => {
        const { rows } = await tx.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        // between statements, as a turn is between its writes: the connection is gone now
        await new Promise((r) => setTimeout(r, 200));
        return tx.client.query('SELECT 1');
      });
      await expect(held).rejects.toThrow();
      expect(crashes).toEqual([]);
      expect((await db.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

describe('withTenant', () => {
  it('fails with why it could not act as the tenant, not with the aborted transaction that follows', async () => {
    const neverProvisioned = newId('tenant'); // a valid id whose role does not exist
    await expect(withTenant(db.pool, neverProvisioned, (tx) => tx.client.query('SELECT 1'))).rejects.toThrow(/role "t_\w+" does not exist/);
    await expect(withTenant(db.pool, neverProvisioned, async () => 'no query')).rejects.toThrow(/role "t_\w+" does not exist/);
  });
});
