import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { canReach } from '@warren/core';
import { postgresRunAs, SHARED_ROOT, sharedDir } from '@warren/db';
import { sandboxUser } from '@warren/sandbox';

export interface LocalPlaces {
  /** Embedded Postgres's data. */
  pgData: string;
  /** The worker's SANDBOX_ROOT. */
  sandboxRoot: string;
  proxySocket: string;
  /** Set when these live outside the data folder, because its users could not reach it there. */
  movedTo?: string;
}

/**
 * Where `warren up` keeps what Postgres and the sandboxes use. Inside the data folder when their
 * users can reach it; as root with the data folder closed to them (a checkout in root's 0700
 * home), in a folder of SHARED_ROOT named after the data folder, so the next start finds it again.
 */
export function localPlaces(dataDir: string, sharedRoot: string = SHARED_ROOT): LocalPlaces {
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const postgres = postgresRunAs();
  const reachable = !postgres || (canReach(dataDir, postgres) && canReach(dataDir, sandboxUser));
  const real = realpathSync(dataDir);
  const base = reachable
    ? dataDir
    : sharedDir(`${basename(join(real, '..'))}-${createHash('sha256').update(real).digest('hex').slice(0, 12)}`, sharedRoot);
  return {
    pgData: join(base, 'pg'),
    sandboxRoot: join(base, 'sandboxes'),
    // in a directory of its own: sandboxes bind the socket's directory
    proxySocket: join(base, 'credential-proxy', 'proxy.sock'),
    ...(reachable ? {} : { movedTo: base }),
  };
}
