import type { TestProject } from 'vitest/node';
import { DEBIAN_PG15_BIN } from './debian-postgres.ts';
import { setupTestPostgres } from './global-setup.ts';

/** The `postgres-15` test project: a throw-away cluster of Debian's Postgres 15 (see vitest.config.ts). */
export default function setup(project: TestProject) {
  return setupTestPostgres(project, undefined, DEBIAN_PG15_BIN);
}
