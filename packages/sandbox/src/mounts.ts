import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { findExecutable, HOST_PATH } from './host-tools.ts';

/** Runs one of the host's filesystem tools (mount, mkfs.ext4, …) found in the system folders. */
export const runTool = (name: string, args: string[]) => promisify(execFile)(findExecutable(name), args, { env: { PATH: HOST_PATH } });

export interface MountEntry {
  /** The path inside the mounted filesystem that the mount shows (not always "/"). */
  root: string;
  mountPoint: string;
  fstype: string;
  /** The device or name the filesystem was mounted from, e.g. /dev/loop3. */
  source: string;
  superOptions: string;
}

/** This process's mounts, from /proc/self/mountinfo, in mount order. */
export async function readMountInfo(): Promise<MountEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype = '', source = '', superOptions = ''] = right.split(' ');
    mounts.push({
      root: unescapeOctal(fields[3] ?? '/'),
      mountPoint: unescapeOctal(fields[4] ?? ''),
      fstype,
      source: unescapeOctal(source),
      superOptions,
    });
  }
  return mounts;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeOctal(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Unmounts from the host's namespace only: a sandbox still running keeps its own copy of the
 * mount, so this never pulls anything from under it. Not mounted (any more) is success.
 */
export async function unmount(mountPoint: string): Promise<void> {
  try {
    await runTool('umount', [mountPoint]);
  } catch (err) {
    if (!(await readMountInfo()).some((m) => m.mountPoint === mountPoint)) return;
    throw err;
  }
}

/**
 * Unmounts everything mounted below `root`, deepest first: what sandboxes of a host that was
 * killed left mounted there (a worker cleans its own root at start; tests clean their folders).
 */
export async function unmountAllUnder(root: string): Promise<void> {
  for (const { mountPoint } of (await readMountInfo()).reverse()) {
    if (mountPoint.startsWith(`${root}/`)) await unmount(mountPoint);
  }
}

/**
 * Unmounts what a dead worker left mounted on `dir` (its workspace image or IPC tmpfs). Only
 * for a conversation this worker owns (see sandbox_owners), so no live sandbox uses them.
 */
export async function unmountLeftover(dir: string): Promise<void> {
  for (let mounts = await readMountInfo(); mounts.some((m) => m.mountPoint === dir); mounts = await readMountInfo()) {
    // a worker killed while it copied the image left it frozen, and a frozen one cannot be unmounted
    if (mounts.findLast((m) => m.mountPoint === dir)?.fstype === 'ext4') await thaw(dir);
    await unmount(dir);
  }
}

async function thaw(dir: string): Promise<void> {
  try {
    await runTool('fsfreeze', ['-u', dir]);
  } catch (err) {
    // EINVAL: it was not frozen
    if (!/Invalid argument/.test(String((err as { stderr?: string }).stderr))) throw err;
  }
}
