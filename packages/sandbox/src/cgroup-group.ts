import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killAndRemoveGroup, readPids, removeIfEmpty } from './cgroup-fs.ts';
import type { AppliedLimits } from './driver.ts';
import type { BackendLimits, SandboxLimitsHandle } from './limits-backend.ts';

/** Sandboxes of this process whose groups are in use, across every driver instance. */
export const liveSandboxes = new Set<string>();

/**
 * Claims a sandbox id for this process, then (claimed, so no release removes this host's folder
 * meanwhile) runs `prepareParents` and creates the groups afresh: a group of that name can only
 * be a leftover of an earlier sandbox of this process.
 */
export async function claimGroups(sandboxId: string, groups: string[], prepareParents = async () => {}): Promise<void> {
  if (liveSandboxes.has(sandboxId)) throw new Error(`sandbox ${sandboxId} is already running`);
  liveSandboxes.add(sandboxId);
  try {
    await prepareParents();
    for (const group of groups) {
      await killAndRemoveGroup(group);
      await mkdir(group, { recursive: true });
    }
  } catch (err) {
    liveSandboxes.delete(sandboxId);
    throw err;
  }
}

/**
 * Writes a sandbox's limits into its claimed `groups` (`writeLimits` reports whether CPU limits
 * took) and returns its handle; if a write fails, the groups are released before the error goes on.
 */
export async function limitGroups(
  mechanism: AppliedLimits['mechanism'],
  sandboxId: string,
  groups: string[],
  hostDirs: string[],
  writeLimits: () => Promise<boolean>,
): Promise<SandboxLimitsHandle> {
  const handle = groupHandle({ mechanism, memory: true, pids: true, cpu: false }, sandboxId, groups, hostDirs);
  try {
    const cpu = await writeLimits();
    return { ...handle, applied: { ...handle.applied, cpu } };
  } catch (err) {
    await handle.release();
    throw err;
  }
}

/** The handle for a sandbox in `groups`; releasing also drops this host's folders once unused. */
function groupHandle(applied: BackendLimits, sandboxId: string, groups: string[], hostDirs: string[]): SandboxLimitsHandle {
  let released: Promise<void> | undefined;
  return {
    applied,
    joinFiles: groups.map((g) => join(g, 'cgroup.procs')),
    execPrefix: [],
    async pids() {
      const all = await Promise.all(groups.map(readPids));
      return [...new Set(all.flat())];
    },
    release() {
      released ??= (async () => {
        for (const group of groups) await killAndRemoveGroup(group);
        liveSandboxes.delete(sandboxId);
        if (liveSandboxes.size === 0) for (const dir of hostDirs) await removeIfEmpty(dir);
      })();
      return released;
    },
  };
}

/** Writes a limit file that may not exist on this kernel; reports whether it took. */
export async function writeOptional(file: string, value: string): Promise<boolean> {
  return writeFile(file, value).then(
    () => true,
    () => false,
  );
}
