import { readFile } from 'node:fs/promises';

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
    mounts.push({ root: unescape(fields[3] ?? '/'), mountPoint: unescape(fields[4] ?? ''), fstype, source: unescape(source), superOptions });
  }
  return mounts;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescape(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
