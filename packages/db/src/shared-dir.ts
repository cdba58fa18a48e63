import { chmodSync, cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a root host keeps what other users (postgres, the sandbox user) must reach when the
 * checkout is closed to them, e.g. in root's 0700 home. Kept across reboots, unlike the temp dir.
 */
export const SHARED_ROOT = '/var/lib/warren';

/** `<root>/<name>`, made with modes that let every user traverse it. */
export function sharedDir(name: string, root: string = SHARED_ROOT): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  chmodSync(root, 0o755);
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * A copy of `source` at `target`, made once: copied under a temporary name and renamed into
 * place when complete, so a concurrent or interrupted run never uses half a copy.
 */
export function copyOnce(source: string, target: string): string {
  if (existsSync(target)) return target;
  const partial = `${target}.partial-${process.pid}`;
  cpSync(source, partial, { recursive: true, verbatimSymlinks: true });
  try {
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(target)) throw err; // else another process renamed its copy first
  }
  return target;
}
