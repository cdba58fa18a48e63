import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface UnixIds {
  uid: number;
  gid: number;
}

/**
 * Whether `ids` can reach `path`: search permission on every folder from / down to it (and on
 * it, when it is a folder), read when `read` is set. Postgres and the sandbox run as users of
 * their own; a checkout in a 0700 home folder is out of their reach even when the file is not.
 * Supplementary groups are not consulted: the answer errs on "no".
 */
export function canReach(path: string, ids: UnixIds, options: { read?: boolean } = {}): boolean {
  if (ids.uid === 0) return true;
  let current = resolve(path);
  const stat = statSafe(current);
  if (!stat) return canReach(dirname(current), ids); // not made yet: its parent decides
  if (options.read && !allows(stat, ids, 4)) return false;
  if (stat.isDirectory() && !allows(stat, ids, 1)) return false;
  while (current !== '/') {
    current = dirname(current);
    const dir = statSafe(current);
    if (!dir || !allows(dir, ids, 1)) return false;
  }
  return true;
}

function allows(stat: { mode: number; uid: number; gid: number }, ids: UnixIds, bit: number): boolean {
  const shift = stat.uid === ids.uid ? 6 : stat.gid === ids.gid ? 3 : 0;
  return ((stat.mode >> shift) & bit) !== 0;
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
