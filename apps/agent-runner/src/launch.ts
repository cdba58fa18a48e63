import { execFile } from 'node:child_process';
import { chown, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sandboxUser } from '@warren/sandbox';
import { build } from 'esbuild';
import { CONFIG_EXIT_CODE } from './config.ts';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));

export interface RunnerLaunch {
  command: string[];
  /** Host paths a sandbox binds read-only, at the same paths, to run the runner. */
  readOnlyPaths: string[];
  /** Environment the runner needs besides its own settings. */
  env: Record<string, string>;
}

/**
 * Prepares the runner for sandboxes: one bundled file (no TypeScript to strip and no module
 * tree to resolve at every cold start) and a V8 compile cache warmed once on the host. A sandbox
 * then binds only Node, the bundle and the cache, all read-only: no node_modules, nothing else
 * of the repository, and no cache a tenant could write into for another.
 */
export async function prepareRunner(outDir: string, nodeBinary: string = process.execPath): Promise<RunnerLaunch> {
  const bundleDir = join(outDir, 'runner');
  const cacheDir = join(outDir, 'compile-cache');
  await mkdir(cacheDir, { recursive: true });
  const bundle = join(bundleDir, 'main.mjs');
  await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'error',
  });
  const env = { NODE_COMPILE_CACHE: cacheDir };
  // Node keys its cache by user id, so it is warmed as the user sandboxes run as (when we can
  // switch to it). Without its settings the runner exits at once with CONFIG_EXIT_CODE, after every
  // module has been compiled: that fills the cache. Any other end means a bundle that cannot run.
  const asSandboxUser = process.getuid?.() === 0 ? { uid: sandboxUser.uid, gid: sandboxUser.gid } : {};
  if (process.getuid?.() === 0) await chown(cacheDir, sandboxUser.uid, sandboxUser.gid);
  await promisify(execFile)(nodeBinary, [bundle], { env, ...asSandboxUser }).catch((err: { code?: unknown }) => {
    if (err.code !== CONFIG_EXIT_CODE) throw err;
  });
  return { command: [nodeBinary, bundle], readOnlyPaths: [dirname(nodeBinary), bundleDir, cacheDir], env };
}
