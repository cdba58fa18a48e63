import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killAndRemoveGroup, readPids, removeIfEmpty } from './cgroup-fs.ts';
import type { AppliedLimits } from './driver.ts';
import { ownHostInstance } from './host-instance.ts';
import type { BackendLimits, SandboxLimitsHandle } from './limits-backend.ts';

/**
 * Where a sandbox's group sits in each hierarchy: `<parent>/<host instance>/<tenant>/<sandbox>`.
 * The tenant level is what makes CPU fair between tenants: tenant groups share the host's CPU
 * by equal weight, however many sandboxes (and busy processes) each holds, and a tenant's
 * sandboxes split its share among themselves.
 */
export interface SandboxGroupPath {
  hostDir: string;
  tenantDir: string;
  group: string;
}

export function sandboxGroupPath(parent: string, sandbox: { sandboxId: string; tenantId: string }): SandboxGroupPath {
  const hostDir = join(parent, ownHostInstance);
  const tenantDir = join(hostDir, sandbox.tenantId);
  return { hostDir, tenantDir, group: join(tenantDir, sandbox.sandboxId) };
}

/** cgroup v1's default weight (v2: weight 100), given to every tenant group alike. */
export const DEFAULT_CPU_SHARES = 1024;

/** Sandboxes of this process whose groups are in use, across every driver instance, with their tenants. */
export const liveSandboxes = new Map<string, string>();

export const isLiveTenant = (tenantId: string): boolean => [...liveSandboxes.values()].includes(tenantId);

/**
 * Claims a sandbox id for this process, then (claimed, so no release removes this host's or
 * tenant's folder meanwhile) runs `prepareParents` and creates the groups afresh: a group of
 * that name can only be a leftover of an earlier sandbox of this process.
 */
export async function claimGroups(
  sandbox: { sandboxId: string; tenantId: string },
  paths: SandboxGroupPath[],
  prepareParents = async () => {},
): Promise<void> {
  if (liveSandboxes.has(sandbox.sandboxId)) throw new Error(`sandbox ${sandbox.sandboxId} is already running`);
  liveSandboxes.set(sandbox.sandboxId, sandbox.tenantId);
  try {
    for (const { tenantDir } of paths) await mkdir(tenantDir, { recursive: true });
    await prepareParents();
    for (const { group } of paths) {
      await killAndRemoveGroup(group);
      await mkdir(group);
    }
  } catch (err) {
    liveSandboxes.delete(sandbox.sandboxId);
    throw err;
  }
}

/**
 * Writes a sandbox's limits into its claimed groups (`writeLimits` reports whether CPU limits
 * took) and returns its handle; if a write fails, the groups are released before the error goes on.
 */
export async function limitGroups(
  mechanism: AppliedLimits['mechanism'],
  sandbox: { sandboxId: string; tenantId: string },
  paths: SandboxGroupPath[],
  writeLimits: () => Promise<boolean>,
): Promise<SandboxLimitsHandle> {
  const handle = groupHandle({ mechanism, memory: true, pids: true, cpu: false }, sandbox, paths);
  try {
    const cpu = await writeLimits();
    return { ...handle, applied: { ...handle.applied, cpu } };
  } catch (err) {
    await handle.release();
    throw err;
  }
}

/** The handle for a sandbox in `paths`; releasing also drops its tenant's and this host's folders once unused. */
function groupHandle(
  applied: BackendLimits,
  sandbox: { sandboxId: string; tenantId: string },
  paths: SandboxGroupPath[],
): SandboxLimitsHandle {
  const groups = paths.map((p) => p.group);
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
        liveSandboxes.delete(sandbox.sandboxId);
        if (!isLiveTenant(sandbox.tenantId)) for (const { tenantDir } of paths) await removeIfEmpty(tenantDir);
        if (liveSandboxes.size === 0) for (const { hostDir } of paths) await removeIfEmpty(hostDir);
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
