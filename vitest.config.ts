import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { DEBIAN_PG15_BIN, debianPostgres15Installed } from './packages/testkit/src/debian-postgres.ts';

/** Tests that also run against the oldest supported Postgres: what keeps tenants apart. */
const isolationTests = [
  'packages/tenancy/test/isolation.test.ts',
  'apps/api/test/cross-tenant.test.ts',
  'packages/db/test/app-role.test.ts',
];

const postgres15: TestProjectInlineConfiguration[] = [];
if (debianPostgres15Installed()) {
  postgres15.push({
    extends: true,
    test: { name: 'postgres-15', include: isolationTests, globalSetup: ['packages/testkit/src/global-setup-pg15.ts'] },
  });
} else {
  console.warn(
    `[vitest] Postgres 15 is not installed (${DEBIAN_PG15_BIN}): the isolation tests run on the embedded Postgres only. ` +
      '`npm test` as root installs it through apt (postgresql-15).',
  );
}

export default defineConfig({
  test: {
    // Files run in parallel, each against its own database.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'warren', include: ['{apps,packages}/*/test/**/*.test.ts'], globalSetup: ['packages/testkit/src/global-setup.ts'] },
      },
      ...postgres15,
    ],
  },
});
