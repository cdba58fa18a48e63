import { type PrecheckResult, precheckOutputSchema, type TurnInput } from '@warren/ipc';
import type { ProcessGroups } from './tools/process-groups.ts';
import { runBash } from './tools/run-bash.ts';

export interface PrecheckRun {
  result: PrecheckResult;
  /** What the script handed the turn (`data`), when it woke the agent. */
  data?: unknown;
}

/**
 * Runs a task's pre-check script as the bash tool runs a command (the workspace as cwd, the
 * minimal env, its process group killed at the timeout, output capped) and reads the last line
 * of its stdout as `{"wakeAgent": boolean, "data"?: …}`. Anything else — a timeout, a non-zero
 * exit, a line that does not parse — is a failed pre-check, and the agent is not woken.
 */
export async function runPrecheck(
  precheck: NonNullable<TurnInput['precheck']>,
  options: { workspace: string; outputBytes: number; processes: ProcessGroups },
): Promise<PrecheckRun> {
  const run = await runBash(precheck.script, {
    cwd: options.workspace,
    timeoutMs: precheck.timeoutMs,
    outputBytes: options.outputBytes,
    processes: options.processes,
    stdoutOnly: true,
  });
  if (run.timedOut) return failed(`the script ran longer than its limit of ${precheck.timeoutMs} ms and was killed`);
  if (run.exitCode !== 0)
    return failed(run.exitCode === null ? `the script was killed by ${run.signal}` : `the script exited with ${run.exitCode}`);
  if (run.output.truncated) return failed(`the script printed more than ${options.outputBytes} bytes`);
  const lastLine = run.output.text().trimEnd().split('\n').at(-1) ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(lastLine);
  } catch {
    return failed('the last line of stdout is not JSON');
  }
  const output = precheckOutputSchema.safeParse(parsed);
  if (!output.success) return failed('the last line of stdout is not {"wakeAgent": boolean, "data"?: …}');
  if (!output.data.wakeAgent) return { result: { outcome: 'skipped', reason: 'the pre-check did not wake the agent' } };
  return { result: { outcome: 'woke' }, data: output.data.data };
}

const failed = (reason: string): PrecheckRun => ({ result: { outcome: 'precheck_failed', reason } });
