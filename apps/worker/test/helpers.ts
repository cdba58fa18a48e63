import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type ModelStack, TEST_TOKEN_SECRET } from '@warren/testkit';
import { vi } from 'vitest';

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

const program = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

/** A program of the repo as its own process, with only PATH and `env` for environment. */
export function startProgram(path: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [program(path)], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'error', ...env }, stdio: 'inherit' });
}

/** A worker process on the stack's database and proxy; `sandboxes` names its own sandbox folder, as if it had its own host. */
export function spawnWorker(stack: ModelStack, sandboxes: string, env: Record<string, string> = {}): ChildProcess {
  return startProgram('apps/worker/src/main.ts', {
    DATABASE_URL: stack.db.url,
    PROXY_SOCKET_PATH: stack.proxySocket,
    PROXY_TOKEN_SECRET: TEST_TOKEN_SECRET,
    SANDBOX_ROOT: join(stack.dir, sandboxes),
    ...env,
  });
}

export interface ApiProcess {
  process: ChildProcess;
  /** Its URL, e.g. for event streams. */
  base: string;
  /** One request with a tenant's API key; the answer's status and parsed body. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by shape
  call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** An API process on the stack's database, on a free port; resolves once it is ready. */
export async function spawnApi(stack: ModelStack, env: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = startProgram('apps/api/src/main.ts', {
    DATABASE_URL: stack.db.url,
    OPS_TOKEN: 'test-ops-token-0123456789abcdef',
    PORT: String(port),
    ...env,
  });
  await vi.waitFor(
    async () => {
      if (!(await fetch(`${base}/readyz`)).ok) throw new Error('API not ready');
    },
    { timeout: 60_000, interval: 100 },
  );
  return {
    process: child,
    base,
    async call(method, path, key, body) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await res.json() };
    },
  };
}
