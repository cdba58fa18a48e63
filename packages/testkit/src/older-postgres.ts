import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// The Postgres majors older than the embedded one (18) that Warren supports, for the vitest
// projects that run the isolation tests on each. Read by vitest.config.ts, so no workspace imports.

/** Debian 12's packaged Postgres (apt `postgresql-15`, installed by `npm test` as root): the oldest supported. */
const DEBIAN_PG15_BIN = '/usr/lib/postgresql/15/bin';

export interface OlderPostgres {
  /** The vitest project's name, `postgres-<major>`. */
  project: string;
  /** Its `native` folder (bin, lib, share), or null when it is not installed here. */
  native: string | null;
  /** How to get it when missing. */
  install: string;
}

/** The npm-packaged binaries of a major, installed as the optional dependency `postgres-<major>` of @warren/testkit. */
function npmPackaged(major: number): string | null {
  try {
    // exports only dist/index.js: the package folder is two up from it
    const entry = createRequire(import.meta.url).resolve(`postgres-${major}`);
    return join(dirname(dirname(entry)), 'native');
  } catch {
    return null; // another platform: the optional dependency was skipped
  }
}

export function olderPostgres(): OlderPostgres[] {
  const debian = existsSync(join(DEBIAN_PG15_BIN, 'postgres')) ? dirname(DEBIAN_PG15_BIN) : null;
  return [
    { project: 'postgres-15', native: debian, install: 'apt-get install postgresql-15 (npm test does it as root)' },
    { project: 'postgres-16', native: npmPackaged(16), install: 'pnpm install on linux-x64' },
    { project: 'postgres-17', native: npmPackaged(17), install: 'pnpm install on linux-x64' },
  ];
}

/** The version a `native` folder holds, for the name of its copy outside a closed checkout. */
export function nativeVersion(native: string): string {
  const manifest = join(dirname(native), 'package.json');
  if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  return native.replaceAll('/', '_');
}
