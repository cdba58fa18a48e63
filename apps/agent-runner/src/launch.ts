import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const repoDir = join(appDir, '..', '..');

/**
 * How a sandbox driver starts this runner: Node and the runner's code, bound read-only at the
 * same paths inside so its module symlinks resolve; nothing else of the repository (its data
 * folder holds secrets).
 */
export function runnerLaunch(nodeBinary: string = process.execPath): { command: string[]; readOnlyPaths: string[] } {
  return {
    command: [nodeBinary, join(appDir, 'src', 'main.ts')],
    readOnlyPaths: [dirname(nodeBinary), appDir, join(repoDir, 'packages', 'ipc'), join(repoDir, 'node_modules', '.pnpm')],
  };
}
