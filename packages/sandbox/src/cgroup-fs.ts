import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readMountInfo } from './mounts.ts';

/**
 * Low-level cgroup filesystem helpers shared by the v1 and v2 code paths. Nothing here decides
 * policy; see resource-limits.ts.
 */

export interface CgroupMount {
  version: 1 | 2;
  /** Where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory. */
  mountPoint: string;
  /** The hierarchy path the mount shows as its root (not always "/" inside containers). */
  root: string;
  /** v1: controllers attached to the hierarchy (from the super options). */
  controllers: string[];
}

export async function readCgroupMounts(): Promise<CgroupMount[]> {
  const mounts: CgroupMount[] = [];
  for (const { fstype, root, mountPoint, superOptions } of await readMountInfo().catch(() => [])) {
    if (fstype === 'cgroup2') mounts.push({ version: 2, mountPoint, root, controllers: [] });
    if (fstype === 'cgroup') mounts.push({ version: 1, mountPoint, root, controllers: superOptions.split(',') });
  }
  return mounts;
}

/** This process's cgroup per hierarchy: key "0" is v2, else each v1 controller name. */
export async function readOwnCgroups(): Promise<Map<string, string>> {
  const text = await readFile('/proc/self/cgroup', 'utf8').catch(() => '');
  const own = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, id, controllers = '', path = '/'] = match;
    if (id === '0' && controllers === '') own.set('0', path);
    for (const c of controllers.split(',')) if (c) own.set(c, path);
  }
  return own;
}

/** The directory of `cgroupPath` under a mount, allowing for a mount whose root is not "/". */
export function cgroupDir(mount: CgroupMount, cgroupPath: string): string {
  const relative = mount.root !== '/' && cgroupPath.startsWith(mount.root) ? cgroupPath.slice(mount.root.length) : cgroupPath;
  return join(mount.mountPoint, relative);
}

/** The group (or one of its files) is not there any more: removed, or being removed (ENODEV). */
const gone = (err: unknown) => ['ENOENT', 'ENODEV'].includes((err as NodeJS.ErrnoException).code ?? '');

/** `fallback` when the group is gone; any other error goes on. */
const ifGone =
  <T>(fallback: T) =>
  (err: unknown): T => {
    if (gone(err)) return fallback;
    throw err;
  };

export async function readPids(groupDir: string): Promise<number[]> {
  const text = await readFile(join(groupDir, 'cgroup.procs'), 'utf8').catch(ifGone(''));
  return text
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

export function signalPids(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Child groups (sub-directories) of a group. */
export async function childGroups(groupDir: string): Promise<string[]> {
  const entries = await readdir(groupDir, { withFileTypes: true }).catch(ifGone([]));
  return entries.filter((e) => e.isDirectory()).map((e) => join(groupDir, e.name));
}

/**
 * Kills every process in a group tree and removes it, deepest first. A group can only be removed
 * once its last process has been reaped, which lags the kill slightly: retry for a while.
 */
export async function killAndRemoveGroup(groupDir: string, attempts = 100): Promise<boolean> {
  for (const child of await childGroups(groupDir)) await killAndRemoveGroup(child, attempts);
  // cgroup v2 kills the whole subtree atomically, fork races included (Linux 5.14+). Without the
  // file (cgroup v1, an older kernel: r+ never creates it) or the group, the signals below do it.
  await writeFile(join(groupDir, 'cgroup.kill'), '1', { flag: 'r+' }).catch(ifGone(undefined));
  for (let i = 0; i < attempts; i++) {
    signalPids(await readPids(groupDir), 'SIGKILL');
    try {
      await rmdir(groupDir);
      return true;
    } catch (err) {
      if (gone(err)) return true;
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY') return false;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Removes a group if it is empty; a busy (processes or child groups) or missing group is left alone. */
export async function removeIfEmpty(groupDir: string): Promise<void> {
  await rmdir(groupDir).catch((err: unknown) => {
    if (!gone(err) && !['EBUSY', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  });
}
