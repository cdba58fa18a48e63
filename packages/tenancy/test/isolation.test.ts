import { type TenantTx, tenantSchema, withTenant } from '@warren/db';
import { createTestDatabase, type TestDatabase } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionTenant } from '../src/index.ts';

let db: TestDatabase;
let a: { id: string; schema: string };
let b: { id: string; schema: string };

beforeAll(async () => {
  db = await createTestDatabase();
  const [ta, tb] = [await provisionTenant(db.pool, { name: 'A' }), await provisionTenant(db.pool, { name: 'B' })];
  a = { id: ta.tenant.id, schema: ta.tenant.schemaName };
  b = { id: tb.tenant.id, schema: tb.tenant.schemaName };
  // B has data worth stealing, including a function a reader of A might try to call.
  await withTenant(db.pool, b.id, async (tx) => {
    await tx.db.insert(tenantSchema.conversations).values({ id: 'conv_secret', title: 'B secret' });
    await tx.client.query(`CREATE FUNCTION read_secrets() RETURNS SETOF text LANGUAGE sql AS 'SELECT title FROM conversations'`);
  });
});
afterAll(() => db.drop());

/** Runs `sql` inside tenant A's transaction and returns the error it raised (or fails the test). */
async function errorAsTenantA(sql: string): Promise<string> {
  return withTenant(db.pool, a.id, async (tx: TenantTx) => {
    await tx.client.query('SAVEPOINT probe');
    try {
      const res = await tx.client.query(sql);
      return `no error; rows: ${JSON.stringify(res.rows)}`;
    } catch (err) {
      await tx.client.query('ROLLBACK TO SAVEPOINT probe');
      return (err as Error).message;
    }
  });
}

describe('tenant isolation in Postgres', () => {
  it('reads its own tables through the unqualified names', async () => {
    const rows = await withTenant(db.pool, b.id, (tx) => tx.db.select().from(tenantSchema.conversations));
    expect(rows.map((r) => r.title)).toEqual(['B secret']);
    const own = await withTenant(db.pool, a.id, (tx) => tx.db.select().from(tenantSchema.conversations));
    expect(own).toEqual([]);
  });

  it.each([
    ['a schema-qualified query', () => `SELECT * FROM "${b.schema}".conversations`],
    ['a write into the other schema', () => `INSERT INTO "${b.schema}".messages (id) VALUES ('x')`],
    ['a function of the other tenant', () => `SELECT "${b.schema}".read_secrets()`],
    ['query_to_xml over the other schema', () => `SELECT query_to_xml('SELECT * FROM "${b.schema}".conversations', true, false, '')`],
    ['the control schema', () => 'SELECT * FROM control.tenants'],
    ['the control API keys', () => 'SELECT hash FROM control.api_keys'],
    ['the queue schema', () => 'SELECT * FROM pgboss.job'],
    ['a table in public', () => 'CREATE TABLE public.leak (x int)'],
    ['a temporary table', () => 'CREATE TEMP TABLE leak (x int)'],
  ])('refuses %s with permission denied', async (_name, sql) => {
    expect(await errorAsTenantA(sql())).toMatch(/permission denied/);
  });

  it('skips the other schema when search_path names it (no USAGE), so nothing of B is found', async () => {
    const error = await errorAsTenantA(`SET LOCAL search_path = "${b.schema}", pg_catalog; SELECT * FROM conversations`);
    expect(error).toBe('relation "conversations" does not exist');
  });

  it('gives the app role no access to tenant tables outside withTenant', async () => {
    await expect(db.pool.query(`SELECT * FROM "${b.schema}".conversations`)).rejects.toThrow(/permission denied/);
  });

  it('rolls back everything when the function throws', async () => {
    await expect(
      withTenant(db.pool, a.id, async (tx) => {
        await tx.db.insert(tenantSchema.conversations).values({ id: 'conv_rolled_back' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = await withTenant(db.pool, a.id, (tx) => tx.db.select().from(tenantSchema.conversations));
    expect(rows).toEqual([]);
  });

  it('leaves a pooled connection with no tenant role or search_path after the transaction', async () => {
    await withTenant(db.pool, a.id, async () => {});
    const clients = await Promise.all(Array.from({ length: 3 }, () => db.pool.connect()));
    try {
      for (const c of clients) {
        const { rows } = await c.query('SELECT current_user AS u, current_setting($1) AS p', ['search_path']);
        expect(rows[0].u).not.toMatch(/^t_/);
        expect(rows[0].p).not.toContain('t_');
      }
    } finally {
      for (const c of clients) c.release();
    }
  });

  it('never runs a query outside the tenant role, even when the role switch fails', async () => {
    // A well-formed id with no role behind it: SET ROLE fails, and the query pipelined right
    // behind it must fail too rather than run as the app role (which may read control).
    const ghost = 'ten_01h2xcejqtf2nbrexx3vqjhp41';
    let rows: unknown[] | undefined;
    await expect(
      withTenant(db.pool, ghost, async (tx) => {
        rows = (await tx.client.query('SELECT id FROM control.tenants')).rows;
      }),
    ).rejects.toThrow();
    expect(rows).toBeUndefined();
  });

  it('rejects a malformed tenant id before touching the database', async () => {
    await expect(withTenant(db.pool, 'ten_x"; DROP SCHEMA control; --', async () => {})).rejects.toThrow(/not a tenant id/);
  });
});
