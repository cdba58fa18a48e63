import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_TOKEN_SECRET, type ModelStack } from '@warren/testkit';

/** Polls `probe` every 100 ms until `done` accepts its value or `ms` pass; returns the last value. */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await probe();
  }
  return value;
}

/** Sends `signal` (SIGKILL by default) unless the process already ended; resolves with its exit code. */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

const workerMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** A worker process on the stack's database and proxy; `sandboxes` names its own sandbox folder, as if it had its own host. */
export function spawnWorker(stack: ModelStack, sandboxes: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [workerMain], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'error',
      DATABASE_URL: stack.db.url,
      PROXY_SOCKET_PATH: stack.proxySocket,
      PROXY_TOKEN_SECRET: TEST_TOKEN_SECRET,
      SANDBOX_ROOT: join(stack.dir, sandboxes),
      ...env,
    },
    stdio: 'inherit',
  });
}
