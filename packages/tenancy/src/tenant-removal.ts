import { type Pool, type PoolClient, tenantSchemaName, withTenant } from '@warren/db';

/** Tenant tables an export leaves out: bookkeeping, not the tenant's data. */
const NOT_EXPORTED = new Set(['__drizzle_migrations', 'idempotency_keys']);
/** Control rows exported with the tenant, and the columns left out of them (secrets, even hashed). */
const CONTROL_EXPORT: Record<string, string[]> = {
  tenants: [],
  api_keys: ['hash'],
  usage: [],
  credentials: ['sealed'],
};
/** Tenant columns an export leaves out: secrets, even sealed. */
const TENANT_HIDDEN: Record<string, string[]> = {
  inbound_hooks: ['sealed_secret'],
  webhook_endpoints: ['sealed_secret', 'sealed_previous_secret'],
};
const FETCH_ROWS = 500;

export interface TenantExportLine {
  table: string;
  row: Record<string, unknown>;
}

/**
 * Writes a tenant's data, one `{table, row}` per line: its control rows (the tenant, its API keys
 * without their hashes, usage, the credential's hint) and every row of every table in its schema,
 * read through a cursor in one tenant transaction, so the export is one consistent snapshot.
 */
export async function exportTenant(pool: Pool, tenantId: string, write: (line: TenantExportLine) => Promise<void>): Promise<number> {
  let lines = 0;
  const emit = async (table: string, row: Record<string, unknown>) => {
    await write({ table, row });
    lines++;
  };
  for (const [table, hidden] of Object.entries(CONTROL_EXPORT)) {
    const column = table === 'tenants' ? 'id' : 'tenant_id';
    const { rows } = await pool.query<{ row: Record<string, unknown> }>(
      `SELECT to_jsonb(t) - $2::text[] AS row FROM control.${table} t WHERE ${column} = $1`,
      [tenantId, hidden],
    );
    for (const { row } of rows) await emit(`control.${table}`, row);
  }
  await withTenant(pool, tenantId, async (tx) => {
    const { rows: tables } = await tx.client.query<{ name: string }>(
      'SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
      [tenantSchemaName(tenantId)],
    );
    for (const { name } of tables) {
      if (NOT_EXPORTED.has(name)) continue;
      await tx.client.query(`DECLARE export_rows NO SCROLL CURSOR FOR SELECT to_jsonb(t) - $1::text[] AS row FROM "${name}" t`, [
        TENANT_HIDDEN[name] ?? [],
      ]);
      for (;;) {
        const { rows } = await tx.client.query<{ row: Record<string, unknown> }>(`FETCH ${FETCH_ROWS} FROM export_rows`);
        for (const { row } of rows) await emit(name, row);
        if (rows.length < FETCH_ROWS) break;
      }
      await tx.client.query('CLOSE export_rows');
    }
  });
  return lines;
}

/**
 * Deletes a tenant for good, in one transaction: the rows of every control table that refers to
 * it (found from the foreign keys, so a table added later is not forgotten), its schema with all
 * its data, its role, and its control row. Its keys stop working at once in every process (the
 * control trigger's NOTIFY); its queued turns are dropped when a worker finds it gone, and each
 * worker host removes its folders at its next sweep. Returns false when there is no such tenant.
 */
export async function deleteTenant(pool: Pool, tenantId: string): Promise<boolean> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ schema_name: string }>('SELECT schema_name FROM control.tenants WHERE id = $1 FOR UPDATE', [
      tenantId,
    ]);
    const schema = rows[0]?.schema_name;
    if (!schema) {
      await client.query('ROLLBACK');
      return false;
    }
    await deleteReferringRows(client, tenantId);
    // as its owner: the app role is a NOINHERIT member and holds none of its rights otherwise
    await client.query(`SET LOCAL ROLE "${schema}"`);
    await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    await client.query('SET LOCAL ROLE NONE');
    await client.query(`DROP ROLE "${schema}"`);
    await client.query('DELETE FROM control.tenants WHERE id = $1', [tenantId]);
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken = rollbackErr;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

async function deleteReferringRows(client: PoolClient, tenantId: string): Promise<void> {
  const { rows } = await client.query<{ tbl: string; col: string }>(
    `SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
       FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND c.confrelid = 'control.tenants'::regclass AND cardinality(c.conkey) = 1`,
  );
  for (const { tbl, col } of rows) await client.query(`DELETE FROM ${tbl} WHERE "${col}" = $1`, [tenantId]);
}
