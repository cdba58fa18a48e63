import { access, constants } from 'node:fs/promises';
import { basename } from 'node:path';
import { childGroups, killAndRemoveGroup, removeIfEmpty } from './cgroup-fs.ts';
import { isLiveTenant, liveSandboxes } from './cgroup-group.ts';
import { detectCgroupV1 } from './cgroup-v1.ts';
import { detectCgroupV2 } from './cgroup-v2.ts';
import type { LimitMechanism, SandboxLimits } from './driver.ts';
import { isHostInstanceAlive, isHostInstanceName, ownHostInstance } from './host-instance.ts';
import { type LimitsBackend, noLimits, type SandboxLimitsHandle } from './limits-backend.ts';
import { rlimitBackend } from './rlimits.ts';

export type { SandboxLimitsHandle } from './limits-backend.ts';

/**
 * Per-sandbox resource limits: cgroup v2, else cgroup v1, else rlimits. Groups nest under the
 * host's own cgroup, so whatever limits the host's supervisor set still bound its sandboxes:
 * `<own cgroup>/<groupName>/host-<pid>-<start>/<tenantId>/<sandboxId>` (see sandboxGroupPath).
 */
export interface ResourceLimitsOptions {
  /** Use this mechanism instead of the best one detected ('auto', the default). */
  mechanism?: LimitMechanism | 'auto';
  /** The group holding every sandbox under the host's own cgroup (default 'warren'). */
  groupName?: string;
  /**
   * cgroup v2: the group to nest under instead of the host's own. v2 lets only process-free
   * groups hand controllers down, so under systemd give a delegated subtree here (Delegate=yes,
   * with the host itself moved into a leaf beside it).
   */
  cgroupV2Parent?: string;
  /** Absolute path of `prlimit`, for the rlimit fallback (default /usr/bin/prlimit). */
  prlimitPath?: string;
}

export class ResourceLimits {
  private readonly options: ResourceLimitsOptions & { mechanism: LimitMechanism | 'auto'; groupName: string; prlimitPath: string };
  private backend: Promise<LimitsBackend> | undefined;

  constructor(options: ResourceLimitsOptions = {}) {
    this.options = {
      ...options,
      mechanism: options.mechanism ?? 'auto',
      groupName: options.groupName ?? 'warren',
      prlimitPath: options.prlimitPath ?? '/usr/bin/prlimit',
    };
    if (!/^[A-Za-z0-9_-]+$/.test(this.options.groupName)) throw new Error('groupName must be [A-Za-z0-9_-]+');
  }

  /** The mechanism in use on this host, detected once. */
  async mechanism(): Promise<LimitMechanism> {
    return (await this.detect()).kind;
  }

  async apply(sandbox: { sandboxId: string; tenantId: string }, limits: SandboxLimits): Promise<SandboxLimitsHandle> {
    return (await this.detect()).apply(sandbox, limits);
  }

  /**
   * Removes the groups of hosts that are no longer running, and of this host's sandboxes that
   * are no longer live, killing whatever still runs in them first. Leaves other live hosts alone.
   */
  async cleanupLeftovers(): Promise<void> {
    for (const parent of (await this.detect()).parents) {
      for (const hostDir of await childGroups(parent)) {
        const name = basename(hostDir);
        if (!isHostInstanceName(name)) continue;
        if (name === ownHostInstance) {
          for (const tenantDir of await childGroups(hostDir)) {
            for (const group of await childGroups(tenantDir)) if (!liveSandboxes.has(basename(group))) await killAndRemoveGroup(group);
            if (!isLiveTenant(basename(tenantDir))) await removeIfEmpty(tenantDir);
          }
          if (liveSandboxes.size === 0) await removeIfEmpty(hostDir);
        } else if (!isHostInstanceAlive(name)) {
          await killAndRemoveGroup(hostDir);
        }
      }
      await removeIfEmpty(parent);
    }
  }

  private detect(): Promise<LimitsBackend> {
    this.backend ??= this.pickBackend();
    return this.backend;
  }

  private async pickBackend(): Promise<LimitsBackend> {
    const { mechanism, groupName, cgroupV2Parent, prlimitPath } = this.options;
    const wanted = (m: LimitMechanism) => mechanism === 'auto' || mechanism === m;
    const candidates: [LimitMechanism, () => Promise<LimitsBackend | undefined>][] = [
      ['cgroup-v2', () => detectCgroupV2(groupName, cgroupV2Parent)],
      ['cgroup-v1', () => detectCgroupV1(groupName)],
      ['rlimit', async () => ((await executable(prlimitPath)) ? rlimitBackend(prlimitPath) : undefined)],
      ['none', async () => noLimits],
    ];
    for (const [kind, detect] of candidates) {
      if (!wanted(kind)) continue;
      const backend = await detect();
      if (backend) return backend;
      if (mechanism === kind) throw new Error(`resource limits by ${kind} are not available on this host`);
    }
    return noLimits;
  }
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}
