import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cgroupDir, readCgroupMounts, readOwnCgroups } from './cgroup-fs.ts';
import { claimGroups, limitGroups, writeOptional } from './cgroup-group.ts';
import type { SandboxLimits } from './driver.ts';
import { ownHostInstance } from './host-instance.ts';
import type { LimitsBackend } from './limits-backend.ts';

/**
 * cgroup v1: one group per hierarchy (memory, pids, and cpu when there is one), each at
 * `<own cgroup in that hierarchy>/<groupName>/host-<pid>-<start>/<sandboxId>`. Undefined when
 * the memory or pids hierarchy is missing or not writable.
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
    apply: (sandboxId, limits) => applyV1({ memory, pids, cpu }, parents, sandboxId, limits),
  };
}

async function applyV1(
  parent: { memory: string; pids: string; cpu: string | undefined },
  parents: string[],
  sandboxId: string,
  limits: SandboxLimits,
) {
  const groupIn = (p: string) => join(p, ownHostInstance, sandboxId);
  const groups = parents.map(groupIn);
  await claimGroups(sandboxId, groups);
  return limitGroups('cgroup-v1', sandboxId, groups, parents.map((p) => join(p, ownHostInstance)), async () => {
    const memory = groupIn(parent.memory);
    await writeFile(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Without this the group could push its excess into swap; absent when swap accounting is off.
    await writeOptional(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
    await writeFile(join(groupIn(parent.pids), 'pids.max'), String(limits.pids));
    return parent.cpu ? applyCpu(groupIn(parent.cpu), limits) : false;
  });
}

async function applyCpu(group: string, limits: SandboxLimits): Promise<boolean> {
  let applied = false;
  if (limits.cpuShares !== undefined) applied = await writeOptional(join(group, 'cpu.shares'), String(limits.cpuShares));
  if (limits.cpuPercent !== undefined) {
    const period = Number((await readFile(join(group, 'cpu.cfs_period_us'), 'utf8').catch(() => '')).trim()) || 100_000;
    const quota = Math.round((limits.cpuPercent / 100) * period);
    applied = (await writeOptional(join(group, 'cpu.cfs_quota_us'), String(quota))) || applied;
  }
  return applied;
}
