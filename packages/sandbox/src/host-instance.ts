import { readFileSync } from 'node:fs';

/**
 * Names this host process uniquely among every process that ever ran on the machine (pid plus
 * start time, so a recycled pid is not mistaken for us). Resource groups are filed under it, so
 * cleanup can tell a crashed host's leftovers from those of a host that is still running.
 */
export function hostInstanceName(pid = process.pid): string | undefined {
  const stat = processStat(pid);
  // A zombie is dead, whether or not its parent has reaped it yet.
  return stat === undefined || stat.state === 'Z' ? undefined : `host-${pid}-${stat.start}`;
}

export const ownHostInstance = hostInstanceName() ?? `host-${process.pid}-0`;

/** True when the named host is still running; false for names that are not ours to judge. */
export function isHostInstanceAlive(name: string): boolean {
  const match = /^host-(\d+)-(\d+)$/.exec(name);
  if (!match) return true;
  return hostInstanceName(Number(match[1])) === name;
}

export function isHostInstanceName(name: string): boolean {
  return /^host-\d+-\d+$/.test(name);
}

/** Fields 3 (state) and 22 (start time in clock ticks since boot) of /proc/<pid>/stat. */
function processStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] && fields[19] ? { state: fields[0], start: fields[19] } : undefined;
  } catch {
    return undefined;
  }
}
