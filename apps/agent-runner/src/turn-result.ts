import { MAX_IPC_FILE_BYTES, type RunnerEvent, runnerEventSchema, type TurnInput } from '@warren/ipc';

export type TurnResult = Extract<RunnerEvent, { type: 'turn_result' }>;
export type Usage = TurnResult['usage'];

const MAX_FINAL_TEXT = 1_000_000;
const MAX_ERROR_TEXT = 10_000;

/** A failed turn: the history is the one the turn started from, as if it had not run. */
export function failedTurn(
  turnId: string,
  history: TurnInput['history'],
  error: string,
  usage: Usage,
  iterations: number,
  outputs: number,
): TurnResult {
  return {
    type: 'turn_result',
    turnId,
    status: 'error',
    finalText: '',
    history,
    usage,
    iterations,
    outputs,
    error: clip(error, MAX_ERROR_TEXT),
  };
}

/**
 * The result as it will be written: cut to the contract's text limits, and replaced by a failure
 * when it still would not pass it (e.g. a history grown past what the host accepts), because a
 * result the host refuses would leave the turn unanswered.
 */
export function deliverable(result: TurnResult, startHistory: TurnInput['history']): TurnResult {
  const clipped: TurnResult = { ...result, finalText: clip(result.finalText, MAX_FINAL_TEXT) };
  const problem = !runnerEventSchema.safeParse(clipped).success
    ? 'the turn result does not fit the IPC contract'
    : Buffer.byteLength(JSON.stringify(clipped)) > MAX_IPC_FILE_BYTES
      ? `the turn result is larger than ${MAX_IPC_FILE_BYTES} bytes`
      : undefined;
  if (problem === undefined) return clipped;
  return failedTurn(result.turnId, startHistory, problem, result.usage, result.iterations, result.outputs);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 20)}\n[cut]` : text;
}
