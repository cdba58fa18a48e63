import type { AppliedLimits, LimitMechanism, SandboxLimits } from './driver.ts';

/** What a limits backend enforces; the workspace quota is the driver's own (workspace-image.ts). */
export type BackendLimits = Omit<AppliedLimits, 'workspace'>;

/** What the launcher must do for one sandbox's limits, and how to undo it. */
export interface SandboxLimitsHandle {
  readonly applied: BackendLimits;
  /** cgroup.procs files the launcher writes its own pid into before exec'ing bwrap. */
  readonly joinFiles: string[];
  /** argv prefix setting rlimits (prlimit … --), or []. */
  readonly execPrefix: string[];
  /** Every process in the sandbox's groups (empty without cgroups). */
  pids(): Promise<number[]>;
  /** Kills what is still inside and removes the groups. */
  release(): Promise<void>;
}

/** One way of limiting sandboxes: cgroup v2, cgroup v1, rlimits, or nothing. */
export interface LimitsBackend {
  readonly kind: LimitMechanism;
  /** Group folders whose `host-*` children hold the sandboxes' groups (none without cgroups). */
  readonly parents: string[];
  apply(sandbox: { sandboxId: string; tenantId: string }, limits: SandboxLimits): Promise<SandboxLimitsHandle>;
}

export function staticHandle(applied: BackendLimits, execPrefix: string[] = []): SandboxLimitsHandle {
  return { applied, joinFiles: [], execPrefix, pids: async () => [], release: async () => {} };
}

export const noLimits: LimitsBackend = {
  kind: 'none',
  parents: [],
  apply: async () => staticHandle({ mechanism: 'none', memory: false, pids: false, cpu: false }),
};
