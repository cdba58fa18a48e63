import { execFileSync } from 'node:child_process';
import type { UnixIds } from '@warren/core';

/**
 * Who Postgres runs as: this process's user, or, as root (which Postgres refuses), the system
 * user `postgres`, created when missing (Debian's packages create the same one).
 */
export function postgresRunAs(): (UnixIds & { name: string }) | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = lookup();
  if (ids) return ids;
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  const created = lookup();
  if (!created) throw new Error('useradd postgres succeeded but the user cannot be found');
  return created;
}

function lookup(): (UnixIds & { name: string }) | undefined {
  let entry: string;
  try {
    entry = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' });
  } catch {
    return undefined; // getent exits 2 for an unknown user
  }
  const [, , uid, gid] = entry.trim().split(':');
  return { name: 'postgres', uid: Number(uid), gid: Number(gid) };
}
