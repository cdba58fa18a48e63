import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canReach } from '@warren/core';
import { postgresRunAs } from './postgres-user.ts';

export interface PostgresServerHandle {
  /** Superuser URL: only for bootstrap (creating the app role and databases). */
  superuserUrl: string;
  port: number;
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Folder holding `initdb` and `postgres` (the npm package's, or e.g. /usr/lib/postgresql/15/bin). */
  binDir: string;
  dataDir: string;
  port: number;
  password: string;
  onLog?: (line: string) => void;
}

/**
 * Starts a real Postgres from `binDir` on 127.0.0.1 (no unix socket), initialising `dataDir`
 * on first use and reusing it afterwards. As root it runs as the `postgres` system user, which
 * must reach both folders: callers place them (see embedded.ts), this only refuses clearly.
 */
export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServerHandle> {
  const runAs = postgresRunAs();
  if (runAs) {
    for (const [what, path] of [
      ['binaries', join(options.binDir, 'postgres')],
      ['data folder', options.dataDir],
    ] as const) {
      if (!canReach(path, runAs)) {
        throw new Error(
          `Postgres runs as the user postgres, which cannot reach its ${what} at ${path}: a folder on the way is closed to it`,
        );
      }
    }
  }
  const ids = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    if (runAs) chownSync(options.dataDir, runAs.uid, runAs.gid);
    // initdb takes the superuser password from a file only; it sits beside the data, briefly.
    const pwfile = join(dirname(options.dataDir), `.pg-password-${randomBytes(6).toString('hex')}`);
    writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
    if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
    try {
      const initdb = [
        `--pgdata=${options.dataDir}`,
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ];
      await runToEnd(spawn(join(options.binDir, 'initdb'), initdb, { ...ids, env: { LC_ALL: 'C' } }), 'initdb', options.onLog);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const server = spawn(
    join(options.binDir, 'postgres'),
    [
      '-D',
      options.dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
    ],
    // Its own process group: a Ctrl-C to the terminal's group reaches the parent, which stops
    // the services first and the database last, not the database under their feet.
    { ...ids, env: { LC_ALL: 'C' }, detached: true },
  );
  // A parent that exits without stop() must not leave the server running on its port.
  const killOnExit = () => server.kill('SIGINT');
  process.once('exit', killOnExit);
  await untilReady(server, options.onLog);
  return {
    superuserUrl: `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    async stop() {
      process.off('exit', killOnExit);
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGINT'); // fast shutdown: sessions are ended, data is flushed
      await exited;
    },
  };
}

function runToEnd(child: ChildProcess, name: string, onLog?: (line: string) => void): Promise<void> {
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    onLog?.(chunk.toString());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${name} failed (${signal ?? `exit ${code}`}): ${output.trim()}`)),
    );
  });
}

/** Resolves once the server logs that it accepts connections; rejects with its output if it exits first. */
function untilReady(server: ChildProcess, onLog?: (line: string) => void): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    server.stdout?.on('data', (chunk: Buffer) => onLog?.(chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      onLog?.(text);
      if (output.length < 64_000) output += text;
      if (output.includes('database system is ready to accept connections')) resolve();
    });
    server.once('error', reject);
    server.once('exit', (code, signal) =>
      reject(new Error(`postgres exited (${signal ?? `exit ${code}`}) before it was ready: ${output.trim()}`)),
    );
  });
}
