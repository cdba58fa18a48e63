import type { SandboxDriver, SandboxExit, SandboxSpec } from './driver.ts';

export interface SandboxTimings extends SandboxExit {
  /** start() called → start() resolved (namespaces exist, limits applied). */
  startedMs: number;
  /** start() called → first byte on stdout (the program is running), if it wrote any. */
  firstOutputMs: number | undefined;
  /** start() called → exited resolved (everything torn down). */
  exitedMs: number;
}

/**
 * Times one sandbox from start to teardown, for benchmarks. Give it a command that writes to
 * stdout once it is up (e.g. `node -e "console.log(1)"`) to see the program's own start-up cost.
 */
export async function measureSandbox(driver: SandboxDriver, spec: SandboxSpec): Promise<SandboxTimings> {
  const t0 = performance.now();
  const sandbox = await driver.start(spec);
  const startedMs = performance.now() - t0;
  let firstOutputMs: number | undefined;
  sandbox.stdout.once('data', () => (firstOutputMs ??= performance.now() - t0));
  sandbox.stdout.resume();
  sandbox.stderr.resume();
  const exit = await sandbox.exited;
  return { ...exit, startedMs, firstOutputMs, exitedMs: performance.now() - t0 };
}
