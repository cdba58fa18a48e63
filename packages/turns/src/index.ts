export { DeletedConversationSweep } from './deleted-conversations.ts';
export { ingestMessage } from './ingest.ts';
export { getTurn, listDeadTurns, listTurns, type Turn } from './list-turns.ts';
export { type OutputLimits, OutputQuota, OutputQuotaExceeded } from './output-quota.ts';
export { takeOwnership } from './owner-state.ts';
export { applyRetention, enforceRetention, type RetentionDays } from './retention.ts';
export { type RecordTaskTurn, runTaskTurn, type TaskTurnEnd, type TaskTurnResult, type TaskTurnRun } from './run-task-turn.ts';
export {
  runTurnJob,
  type TaskRequestHandler,
  TurnFailedError,
  type TurnJobDeps,
  type TurnJobResult,
  type TurnJobRun,
} from './run-turn-job.ts';
export { OWNER_LEASE_SECONDS, SandboxOwnership } from './sandbox-ownership.ts';
export {
  abandonTaskTurn,
  abandonTurns,
  addTurnUsage,
  type ClaimedTaskTurn,
  type ClaimedTurn,
  claimTaskTurn,
  claimTurn,
  commitTaskTurn,
  commitTurn,
  type FailureOutcome,
  FencedOutError,
  failTurn,
  leaseIsLive,
  type RedriveOutcome,
  recordOutput,
  redriveTurn,
  renewLease,
  TURN_LEASE_SECONDS,
  type TurnError,
  type TurnErrorKind,
  type TurnLease,
  tenantHasFreeSlot,
} from './turn-state.ts';
export { WorkerLiveness, workerIsAlive } from './worker-liveness.ts';
export { DurableWorkspaces, loadSnapshot, type PendingSnapshot, saveSnapshot } from './workspace-store.ts';
