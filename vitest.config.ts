import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { olderPostgres } from './packages/testkit/src/older-postgres.ts';

/** Tests that also run against every older supported Postgres major: what keeps tenants apart. */
const isolationTests = [
  'packages/tenancy/test/isolation.test.ts',
  'apps/api/test/cross-tenant.test.ts',
  'packages/db/test/app-role.test.ts',
];

/** The same tests on each older supported major (the embedded Postgres is the newest, 18). */
const olderMajors: TestProjectInlineConfiguration[] = [];
for (const { project, native, install } of olderPostgres()) {
  if (native) {
    olderMajors.push({
      extends: true,
      test: { name: project, include: isolationTests, globalSetup: ['packages/testkit/src/global-setup-older-postgres.ts'] },
    });
  } else {
    console.warn(`[vitest] ${project} is not installed (${install}): the isolation tests skip it.`);
  }
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
      ...olderMajors,
    ],
  },
});
