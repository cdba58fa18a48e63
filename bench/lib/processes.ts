import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Starts one of the repository's programs in its own process, with only the given env (and PATH). */
export function startProgram(relativePath: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [fileURLToPath(new URL(`../../${relativePath}`, import.meta.url))], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: 'inherit',
  });
}

/** Resolves once `probe` succeeds, polling every 50 ms for up to 20 s. */
export async function waitFor(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
