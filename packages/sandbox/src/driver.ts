import { isAbsolute, normalize } from 'node:path';
import type { Readable } from 'node:stream';
import { idSchema } from '@warren/core';
import { z } from 'zod';

/** Host paths reach bwrap's argv and cgroup paths: absolute, normalised, no NUL. */
const hostPath = z
  .string()
  .refine(
    (p) => isAbsolute(p) && normalize(p) === p && !p.includes('\0') && p !== '/',
    'must be an absolute, normalised path other than /',
  );

/** Smaller ext4 images are mostly metadata and journal. */
const MIN_WORKSPACE_BYTES = 32 * 1024 * 1024;

export const sandboxIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1–128 of [A-Za-z0-9_-]');

export const sandboxLimitsSchema = z.object({
  memoryBytes: z
    .number()
    .int()
    .min(16 * 1024 * 1024),
  pids: z.number().int().min(8),
  /** Relative CPU weight among the tenant's sandboxes, cgroup-v1 style (default 1024). */
  cpuShares: z.number().int().min(2).max(262_144).optional(),
  /** Hard CPU ceiling in percent of one core (200 = two cores). */
  cpuPercent: z.number().int().min(1).max(100_000).optional(),
  /** Size of the conversation's workspace (an ext4 image, see workspace-image.ts); writes past it get ENOSPC. */
  workspaceBytes: z.number().int().min(MIN_WORKSPACE_BYTES).optional(),
});

export const sandboxSpecSchema = z.object({
  sandboxId: sandboxIdSchema,
  tenantId: idSchema('tenant'),
  conversationId: idSchema('conversation'),
  /** Host folder mounted read-write at `/workspace`. */
  workspaceDir: hostPath,
  /** Host folder mounted read-write at `/ipc`. */
  ipcDir: hostPath,
  /** Host unix socket of the credential proxy, mounted at `/run/warren/proxy.sock`. */
  proxySocket: hostPath,
  /** argv run inside; argv[0] must be reachable through `readOnlyPaths` or the system folders. */
  command: z.array(z.string().refine((a) => !a.includes('\0'))).min(1),
  /** Host paths bound read-only at the same path inside (runner code, node_modules, node's folder). */
  readOnlyPaths: z.array(hostPath),
  /** The only environment inside, besides PATH/HOME/LANG defaults it may override. */
  env: z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    z.string().refine((v) => !v.includes('\0')),
  ),
  limits: sandboxLimitsSchema,
  /** Skill folders on the host, each bound read-only at `/skills/<name>`. */
  skills: z
    .array(z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/), dir: hostPath }))
    .max(64)
    .default([]),
});

export type SandboxSpec = z.input<typeof sandboxSpecSchema>;
export type SandboxLimits = z.infer<typeof sandboxLimitsSchema>;

export type LimitMechanism = 'cgroup-v2' | 'cgroup-v1' | 'rlimit' | 'none';

/** What was really enforced, as opposed to what was asked for. */
export interface AppliedLimits {
  mechanism: LimitMechanism;
  memory: boolean;
  pids: boolean;
  cpu: boolean;
  /** The workspace quota (workspaceBytes) holds. */
  workspace: boolean;
}

export interface SandboxExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SandboxProcess {
  readonly sandboxId: string;
  /** Host pid of the sandbox's outermost process. */
  readonly pid: number;
  readonly appliedLimits: AppliedLimits;
  /** Resolves once everything inside has ended and the sandbox's resources are released. */
  readonly exited: Promise<SandboxExit>;
  /** Read both (or resume() them): a sandbox that fills an unread pipe blocks on its next write. */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Signals every process inside; SIGKILL (the default) also tears the sandbox down. */
  kill(signal?: NodeJS.Signals): void;
}

export interface SandboxDriver {
  readonly name: string;
  /** Resolves once the sandbox's namespaces exist; rejects if it could not be set up. */
  start(spec: SandboxSpec): Promise<SandboxProcess>;
  /**
   * Kills and removes what a crashed host left behind: resource groups and their processes, and,
   * unless `mounts: false`, the workspace mounts under `root` that no sandbox of this process holds.
   */
  cleanupLeftovers(root: string, options?: { mounts?: boolean }): Promise<void>;
}
