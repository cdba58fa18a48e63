import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The only PATH the launcher gets; also searched first for the tools it runs. */
export const HOST_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

export function findExecutable(name: string): string {
  // System folders first: a root host must not pick up a bwrap from a writable PATH entry.
  const dirs = [...HOST_PATH.split(delimiter), ...(process.env.PATH ?? '').split(delimiter)].filter((d) => isAbsolute(d));
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} not found on PATH`);
}

/** --disable-userns and --size arrived in bubblewrap 0.8. */
export async function checkBwrapVersion(bwrap: string): Promise<void> {
  const output = await new Promise<string>((resolve) =>
    execFile(bwrap, ['--version'], { env: { PATH: HOST_PATH } }, (_err, stdout) => resolve(String(stdout))),
  );
  const match = /(\d+)\.(\d+)/.exec(output);
  if (!match) return; // not a bwrap we can ask: start() reports whatever it says
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major === 0 && minor < 8) throw new Error(`bubblewrap 0.8 or later is required, ${bwrap} is ${output.trim()}`);
}
