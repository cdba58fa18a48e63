import { reachableBinDir, sharedDir } from '@warren/db';
import type { TestProject } from 'vitest/node';
import { setupTestPostgres } from './global-setup.ts';
import { nativeVersion, olderPostgres } from './older-postgres.ts';

/** A `postgres-<major>` test project: a throw-away cluster of that major (see vitest.config.ts). */
export default function setup(project: TestProject) {
  const native = olderPostgres().find((p) => p.project === project.name)?.native;
  if (!native) throw new Error(`no Postgres binaries for the project ${project.name}`);
  // Debian's are reachable by the postgres user; npm's in a closed checkout are copied once
  return setupTestPostgres(
    project,
    undefined,
    reachableBinDir(native, () => `${sharedDir('postgres')}/${nativeVersion(native)}`),
  );
}
