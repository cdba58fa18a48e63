import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canReach } from '@warren/core';
import { postgresRunAs } from '@warren/db';
import { sandboxUser } from '@warren/sandbox';
import { afterAll, describe, expect, it } from 'vitest';
import { localPlaces } from '../src/local-places.ts';

const asRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), 'warren-places-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!asRoot)("where warren up keeps Postgres's data and the sandboxes (as root)", () => {
  const shared = join(work, 'shared');

  it('is the data folder when its users reach it', () => {
    const dataDir = join(work, 'open', '.data');
    expect(localPlaces(dataDir, shared)).toEqual({
      pgData: join(dataDir, 'pg'),
      sandboxRoot: join(dataDir, 'sandboxes'),
      proxySocket: join(dataDir, 'credential-proxy', 'proxy.sock'),
    });
  });

  it('is a folder they reach, the same at every start, when the checkout is in a 0700 home', () => {
    mkdirSync(join(work, 'home'), { mode: 0o700 });
    const dataDir = join(work, 'home', 'warren', '.data');
    const places = localPlaces(dataDir, shared);
    expect(places.movedTo?.startsWith(`${shared}/`)).toBe(true);
    for (const user of [postgresRunAs()!, sandboxUser]) {
      expect(canReach(dataDir, user)).toBe(false);
      for (const path of [places.pgData, places.sandboxRoot, places.proxySocket]) expect(canReach(path, user)).toBe(true);
    }
    expect(localPlaces(dataDir, shared)).toEqual(places);
  });
});
