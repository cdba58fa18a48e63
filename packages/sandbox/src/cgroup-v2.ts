import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cgroupDir, readCgroupMounts, readOwnCgroups } from './cgroup-fs.ts';
import { claimGroups, DEFAULT_CPU_SHARES, limitGroups, type SandboxGroupPath, sandboxGroupPath, writeOptional } from './cgroup-group.ts';
import type { SandboxLimits } from './driver.ts';
import type { LimitsBackend } from './limits-backend.ts';

const CPU_PERIOD_US = 100_000;

/**
 * cgroup v2: `<base>/<groupName>/host-<pid>-<start>/<tenantId>/<sandboxId>`, where base is `explicitBase`
 * or the host's own cgroup. Every level above a sandbox must hand memory and pids down
 * (subtree_control), which v2 only allows for groups without processes of their own, or the
 * root: under systemd that means a delegated subtree given as `explicitBase`. Undefined when
 * that cannot be arranged.
 */
export async function detectCgroupV2(groupName: string, explicitBase: string | undefined): Promise<LimitsBackend | undefined> {
  const mount = (await readCgroupMounts()).find((m) => m.version === 2);
  if (!mount) return undefined;
  const base = explicitBase ?? cgroupDir(mount, (await readOwnCgroups()).get('0') ?? '/');
  const available = (await readFile(join(base, 'cgroup.controllers'), 'utf8').catch(() => '')).trim().split(/\s+/);
  if (!available.includes('memory') || !available.includes('pids')) return undefined;
  const controllers = ['memory', 'pids', ...(available.includes('cpu') ? ['cpu'] : [])];
  const parent = join(base, groupName);
  try {
    await enableControllers(base, controllers); // EBUSY when base holds processes
    await mkdir(parent, { recursive: true });
    await enableControllers(parent, controllers);
  } catch {
    return undefined;
  }
  return { kind: 'cgroup-v2', parents: [parent], apply: (sandbox, limits) => applyV2(parent, controllers, sandbox, limits) };
}

async function applyV2(parent: string, controllers: string[], sandbox: { sandboxId: string; tenantId: string }, limits: SandboxLimits) {
  const path = sandboxGroupPath(parent, sandbox);
  await claimGroups(sandbox, [path], async () => {
    // A cleanup may have removed the (then empty) parents since detection: rebuild the chain.
    for (const dir of [parent, path.hostDir, path.tenantDir]) await enableControllers(dir, controllers);
  });
  return limitGroups('cgroup-v2', sandbox, [path], async () => {
    const { group } = path;
    await writeFile(join(group, 'memory.max'), String(limits.memoryBytes));
    await writeOptional(join(group, 'memory.swap.max'), '0');
    await writeFile(join(group, 'pids.max'), String(limits.pids));
    return controllers.includes('cpu') ? applyCpu(path, limits) : false;
  });
}

/** Equal weight for every tenant group; the sandbox's own weight and ceiling below it. */
async function applyCpu({ tenantDir, group }: SandboxGroupPath, limits: SandboxLimits): Promise<boolean> {
  let applied = await writeOptional(join(tenantDir, 'cpu.weight'), String(sharesToWeight(DEFAULT_CPU_SHARES)));
  if (limits.cpuShares !== undefined)
    applied = (await writeOptional(join(group, 'cpu.weight'), String(sharesToWeight(limits.cpuShares)))) && applied;
  if (limits.cpuPercent !== undefined) {
    const quota = Math.round((limits.cpuPercent / 100) * CPU_PERIOD_US);
    applied = (await writeOptional(join(group, 'cpu.max'), `${quota} ${CPU_PERIOD_US}`)) && applied;
  }
  return applied;
}

async function enableControllers(dir: string, controllers: string[]): Promise<void> {
  const enabled = (await readFile(join(dir, 'cgroup.subtree_control'), 'utf8')).trim().split(/\s+/);
  const missing = controllers.filter((c) => !enabled.includes(c));
  if (missing.length) await writeFile(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
}

/** The conversion systemd and Kubernetes use from v1 shares (2–262144) to v2 weight (1–10000). */
function sharesToWeight(shares: number): number {
  return Math.round(1 + ((shares - 2) * 9999) / 262_142);
}
