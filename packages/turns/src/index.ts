export { ingestMessage } from './ingest.ts';
export { claimTurn, type ClaimedTurn } from './claim-turn.ts';
export { recordOutput } from './record-output.ts';
export { commitTurn } from './commit-turn.ts';
export { failTurn, type FailureOutcome } from './fail-turn.ts';
export { FencedOutError, type TurnLease } from './fence.ts';
export { runTurnJob, TurnRetryError, type TurnJobDeps, type TurnJobRun } from './run-turn-job.ts';
export { listTurns, getTurn, type Turn } from './list-turns.ts';
