export type {
  SandboxDriver,
  SandboxSpec,
  SandboxProcess,
  SandboxExit,
  SandboxLimits,
  AppliedLimits,
  LimitMechanism,
} from './driver.ts';
export { sandboxSpecSchema, sandboxIdSchema } from './driver.ts';
export { BwrapDriver, type BwrapDriverOptions } from './bwrap-driver.ts';
export { SandboxSpecError } from './bind-guards.ts';
export { ResourceLimits, type ResourceLimitsOptions } from './resource-limits.ts';
export { prepareSandboxFolders, type SandboxFolders } from './workspace.ts';
export { sandboxUser } from './sandbox-user.ts';
export { measureSandbox, type SandboxTimings } from './measure.ts';
export { IpcChannel, type IpcHandlers } from './ipc-channel.ts';
export {
  SandboxPool,
  WarmSandbox,
  SandboxCapacityError,
  SandboxCrashedError,
  type SandboxPoolOptions,
  type WorkspaceCopy,
  type WorkspaceSync,
  type TurnCallbacks,
  type TurnOutcome,
} from './sandbox-pool.ts';
export { descendantsOf } from './process-tree.ts';
export { unmountAllUnder } from './mounts.ts';
export {
  localWorkspaceVersion,
  restoreWorkspace,
  setLocalWorkspaceVersion,
  snapshotWorkspace,
  workspaceWrites,
  WorkspaceSnapshotTooLarge,
} from './workspace-snapshot.ts';
export { mountWorkspaceImage } from './workspace-image.ts';
