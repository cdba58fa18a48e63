import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { canReach, type UnixIds } from '@warren/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedBinDir } from '../src/embedded-binaries.ts';
import { freePort, postgresRunAs, reachableBinDir, startPostgresServer } from '../src/index.ts';

// A checkout in root's 0700 home: the binaries are there, closed to the postgres user.
const asRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), 'warren-closed-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!asRoot)('Postgres binaries in a folder closed to the postgres user (as root)', () => {
  const home = join(work, 'home');
  const native = join(home, 'checkout', 'native');
  let runAs: UnixIds;
  beforeAll(() => {
    mkdirSync(home, { mode: 0o700 });
    cpSync(dirname(embeddedBinDir()), native, { recursive: true, verbatimSymlinks: true });
    runAs = postgresRunAs()!;
  });

  it('are refused with a message naming the folder, before initdb fails with EACCES', async () => {
    expect(canReach(join(native, 'bin', 'postgres'), runAs)).toBe(false);
    const start = startPostgresServer({
      binDir: join(native, 'bin'),
      dataDir: join(work, 'refused'),
      port: await freePort(),
      password: 'x',
    });
    await expect(start).rejects.toThrow(
      `Postgres runs as the user postgres, which cannot reach its binaries at ${join(native, 'bin', 'postgres')}`,
    );
  });

  it('are copied where it reaches them, and the server starts from the copy', async () => {
    const binDir = reachableBinDir(native, () => join(work, 'copy'));
    expect(binDir).toBe(join(work, 'copy', 'bin'));
    expect(canReach(join(binDir, 'postgres'), runAs)).toBe(true);
    expect(reachableBinDir(native, () => join(work, 'copy'))).toBe(binDir); // made once
    const server = await startPostgresServer({ binDir, dataDir: join(work, 'data'), port: await freePort(), password: 'x' });
    try {
      const client = new pg.Client({ connectionString: server.superuserUrl });
      await client.connect();
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end();
    } finally {
      await server.stop();
    }
  });
});
