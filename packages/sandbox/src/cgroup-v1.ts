import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cgroupDir, readCgroupMounts, readOwnCgroups } from './cgroup-fs.ts';
import { claimGroups, DEFAULT_CPU_SHARES, limitGroups, type SandboxGroupPath, sandboxGroupPath, writeOptional } from './cgroup-group.ts';
import type { SandboxLimits } from './driver.ts';
import type { LimitsBackend } from './limits-backend.ts';

/**
 * cgroup v1: one group per hierarchy (memory, pids, and cpu when there is one), each at
 * `<own cgroup in that hierarchy>/<groupName>/host-<pid>-<start>/<tenantId>/<sandboxId>`.
 * Undefined when the memory or pids hierarchy is missing or not writable.
 */
export async function detectCgroupV1(groupName: string): Promise<LimitsBackend | undefined> {
  const mounts = await readCgroupMounts();
  const own = await readOwnCgroups();
  const parentFor = async (controller: string): Promise<string | undefined> => {
    const mount = mounts.find((m) => m.version === 1 && m.controllers.includes(controller));
    if (!mount) return undefined;
    const parent = join(cgroupDir(mount, own.get(controller) ?? '/'), groupName);
    return mkdir(parent, { recursive: true }).then(
      () => parent,
      () => undefined,
    );
  };
  const [memory, pids, cpu] = await Promise.all([parentFor('memory'), parentFor('pids'), parentFor('cpu')]);
  if (!memory || !pids) return undefined;
  // Hierarchies may be co-mounted (e.g. cpu,memory): one group then serves both.
  const parents = [...new Set([memory, pids, ...(cpu ? [cpu] : [])])];
  return {
    kind: 'cgroup-v1',
    parents,
    apply: (sandbox, limits) => applyV1({ memory, pids, cpu }, parents, sandbox, limits),
  };
}

async function applyV1(
  parent: { memory: string; pids: string; cpu: string | undefined },
  parents: string[],
  sandbox: { sandboxId: string; tenantId: string },
  limits: SandboxLimits,
) {
  const pathIn = (p: string) => sandboxGroupPath(p, sandbox);
  const paths = parents.map(pathIn);
  await claimGroups(sandbox, paths);
  return limitGroups('cgroup-v1', sandbox, paths, async () => {
    const memory = pathIn(parent.memory).group;
    await writeFile(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Without this the group could push its excess into swap; absent when swap accounting is off.
    await writeOptional(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
    await writeFile(join(pathIn(parent.pids).group, 'pids.max'), String(limits.pids));
    return parent.cpu ? applyCpu(pathIn(parent.cpu), limits) : false;
  });
}

/** Equal shares for every tenant group; the sandbox's own shares and quota below it. */
async function applyCpu({ tenantDir, group }: SandboxGroupPath, limits: SandboxLimits): Promise<boolean> {
  let applied = await writeOptional(join(tenantDir, 'cpu.shares'), String(DEFAULT_CPU_SHARES));
  if (limits.cpuShares !== undefined) applied = (await writeOptional(join(group, 'cpu.shares'), String(limits.cpuShares))) && applied;
  if (limits.cpuPercent !== undefined) {
    const period = Number((await readFile(join(group, 'cpu.cfs_period_us'), 'utf8').catch(() => '')).trim()) || 100_000;
    const quota = Math.round((limits.cpuPercent / 100) * period);
    applied = (await writeOptional(join(group, 'cpu.cfs_quota_us'), String(quota))) && applied;
  }
  return applied;
}
