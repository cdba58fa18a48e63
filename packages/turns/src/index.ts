export { ingestMessage } from './ingest.ts';
export {
  abandonTurns,
  addTurnUsage,
  claimTurn,
  commitTurn,
  failTurn,
  FencedOutError,
  leaseIsLive,
  recordOutput,
  renewLease,
  tenantHasFreeSlot,
  TURN_LEASE_SECONDS,
  type ClaimedTurn,
  type FailureOutcome,
  type TurnError,
  type TurnErrorKind,
  type TurnLease,
} from './turn-state.ts';
export { runTurnJob, TurnFailedError, type TurnJobDeps, type TurnJobResult, type TurnJobRun } from './run-turn-job.ts';
export { listTurns, getTurn, type Turn } from './list-turns.ts';
export { OutputQuota, OutputQuotaExceeded, type OutputLimits } from './output-quota.ts';
export { SandboxOwnership, OWNER_LEASE_SECONDS } from './sandbox-ownership.ts';
export { DurableWorkspaces, loadSnapshot, saveSnapshot, type PendingSnapshot } from './workspace-store.ts';
export { takeOwnership } from './owner-state.ts';
