import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { embeddedBinDir } from './embedded-binaries.ts';
import { type PostgresServerHandle, startPostgresServer } from './postgres-server.ts';

export type EmbeddedPostgresHandle = PostgresServerHandle;

/**
 * Starts a real Postgres from the npm-packaged binaries (or those in `binDir`), initialising
 * `dataDir` on first use and reusing it afterwards. As root, Postgres runs as the `postgres`
 * system user; the binaries are copied where it can reach them when the checkout is closed to it.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  binDir?: string;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  return startPostgresServer({ ...options, binDir: options.binDir ?? embeddedBinDir() });
}

/**
 * Creates (once) the non-superuser role Warren runs as and a database it owns. The role has
 * CREATEROLE so it can provision tenant roles, and NOINHERIT so that, on every supported
 * version, membership in a tenant role gives it nothing until it switches to it.
 */
export async function ensureAppDatabase(
  superuserUrl: string,
  app: { role: string; password: string; database: string; template?: string },
): Promise<string> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const role = client.escapeIdentifier(app.role);
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [app.role]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE ROLE ${role} LOGIN CREATEROLE NOINHERIT PASSWORD ${client.escapeLiteral(app.password)}`);
    } else {
      await client.query(`ALTER ROLE ${role} NOINHERIT`); // roles made before NOINHERIT was the rule
    }
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [app.database]);
    if (db.rowCount === 0) {
      const template = app.template ? ` TEMPLATE ${client.escapeIdentifier(app.template)}` : '';
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(app.database)} OWNER ${role}${template}`);
    }
  } finally {
    await client.end();
  }
  const url = new URL(superuserUrl);
  url.username = app.role;
  url.password = app.password;
  url.pathname = `/${app.database}`;
  return url.toString();
}

/** A port nobody listens on right now, for servers started by tests and benchmarks. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A throw-away Postgres in a temporary folder, removed again by `stop`: the embedded one, or
 * the one whose binaries are in `binDir` (the tests' Debian Postgres 15).
 */
export async function startTemporaryPostgres(options: { binDir?: string } = {}): Promise<EmbeddedPostgresHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-pg-'));
  chmodSync(dir, 0o755); // the postgres system user must reach its data folder
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port: await freePort(), password: 'local', ...options });
  return {
    ...pg,
    async stop() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
