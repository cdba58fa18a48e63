import { spawn } from 'node:child_process';
import { CappedOutput } from './capped-output.ts';
import type { ProcessGroups } from './process-groups.ts';

export interface BashOptions {
  cwd: string;
  timeoutMs: number;
  outputBytes: number;
  processes: ProcessGroups;
  /** Keep stdout only (stderr is dropped): for a script whose output is read, not shown. */
  stdoutOnly?: boolean;
}

export interface BashRun {
  output: CappedOutput;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/** How long to wait for the output pipes after bash exits, when something it started still holds them. */
const PIPE_GRACE_MS = 200;

/**
 * Runs `/bin/bash -c <command>` with a minimal env: never the runner's own, which holds the sandbox
 * token. Detached, so bash leads its own process group and a timeout kills everything it started.
 */
export function runBash(command: string, options: BashOptions): Promise<BashRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-c', command], {
      cwd: options.cwd,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: options.cwd, LANG: 'C.UTF-8' },
      detached: true,
      stdio: ['ignore', 'pipe', options.stdoutOnly ? 'ignore' : 'pipe'],
    });
    const pid = child.pid;
    const output = new CappedOutput(options.outputBytes);
    // one buffer for both streams: the model sees them interleaved as they arrived
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));

    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    if (pid !== undefined) options.processes.add(pid);
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) options.processes.kill(pid);
    }, options.timeoutMs);
    let grace: NodeJS.Timeout | undefined;

    const finish = (pipesClosed: boolean) => {
      if (settled || !exit) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      // a background process still holding the pipes keeps its group listed, to be killed at shutdown
      if (pipesClosed && pid !== undefined) options.processes.delete(pid);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({ output, exitCode: exit.code, signal: exit.signal, timedOut });
    };

    child.once('error', (err) => {
      clearTimeout(timer);
      if (pid !== undefined) options.processes.delete(pid);
      if (!settled) reject(err);
      settled = true;
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      grace = setTimeout(() => finish(false), PIPE_GRACE_MS);
    });
    child.once('close', () => finish(true));
  });
}

export function describeBashRun(run: BashRun, timeoutMs: number): string {
  const status = run.timedOut
    ? `[timed out after ${timeoutMs} ms: the command and everything it started were killed]`
    : run.exitCode !== null
      ? `[exit code ${run.exitCode}]`
      : `[killed by ${run.signal ?? 'a signal'}]`;
  const text = run.output.total === 0 ? '(no output)' : run.output.text();
  return `${text}\n${status}`;
}
