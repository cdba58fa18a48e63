export { SandboxSpecError } from './bind-guards.ts';
export { BwrapDriver, type BwrapDriverOptions } from './bwrap-driver.ts';
export type {
  AppliedLimits,
  LimitMechanism,
  SandboxDriver,
  SandboxExit,
  SandboxLimits,
  SandboxProcess,
  SandboxSpec,
} from './driver.ts';
export { sandboxIdSchema, sandboxSpecSchema } from './driver.ts';
export { IpcChannel, type IpcHandlers } from './ipc-channel.ts';
export { measureSandbox, type SandboxTimings } from './measure.ts';
export { unmountAllUnder } from './mounts.ts';
export { descendantsOf } from './process-tree.ts';
export { ResourceLimits, type ResourceLimitsOptions } from './resource-limits.ts';
export {
  SandboxCapacityError,
  SandboxCrashedError,
  SandboxPool,
  type SandboxPoolOptions,
  type SandboxSkill,
  type TurnCallbacks,
  type TurnOutcome,
  WarmSandbox,
  type WorkspaceCopy,
  type WorkspaceSync,
} from './sandbox-pool.ts';
export { sandboxUser } from './sandbox-user.ts';
export type { TextDelta } from './text-deltas.ts';
export { prepareSandboxFolders, removeSandboxFolders, removeTenantFolder, type SandboxFolders } from './workspace.ts';
export { mountWorkspaceImage } from './workspace-image.ts';
export {
  localWorkspaceVersion,
  restoreWorkspace,
  setLocalWorkspaceVersion,
  snapshotWorkspace,
  WorkspaceSnapshotTooLarge,
  workspaceWrites,
} from './workspace-snapshot.ts';
