import type { TenantMigrationReport } from '@warren/db';
import {
  checkServerVersion,
  createPool,
  ensureAppRoleNoInherit,
  loadTenantMigrations,
  MigrationLockBusyError,
  migrateControl,
  migrateTenants,
  withMigrationLock,
} from '@warren/db';
import { installQueue } from '@warren/queue';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { databaseUrlFromEnv, parseFlags } from '../args.ts';
import { cliLogger } from '../log.ts';

export const migrateUsage = `warren migrate [--concurrency N] [--no-wait] [--tenant-migrations DIR]
  Applies control migrations, installs/upgrades the queue schema, then brings every tenant
  schema up to date, N tenants at a time. A failing tenant is reported by id and the others
  go on; run again after repairing it to finish. Only one run at a time: a second one waits
  (or, with --no-wait, exits with status 75).`;

const flagsSchema = z.object({
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
  'no-wait': z.boolean().default(false),
  'tenant-migrations': z.string().optional(),
});

export interface MigrateOptions {
  concurrency: number;
  wait: boolean;
  tenantMigrationsDir?: string | undefined;
  /** Where progress and messages go; the report is returned. */
  out: NodeJS.WritableStream;
}

/** The whole migration run, shared by `warren migrate` and the all-in-one start. */
export async function runMigrations(databaseUrl: string, opts: MigrateOptions): Promise<TenantMigrationReport> {
  const pool = createPool(databaseUrl, { max: opts.concurrency + 1, applicationName: 'warren-migrate', logger: cliLogger });
  try {
    const major = await checkServerVersion(pool);
    if (await ensureAppRoleNoInherit(pool)) {
      opts.out.write(`made the app role NOINHERIT (Postgres ${major}: tenant grants must not pass tenant rights to it)\n`);
    }
    const migrations = loadTenantMigrations(opts.tenantMigrationsDir);
    return await withMigrationLock(
      pool,
      {
        wait: opts.wait,
        onWait: (pid) => opts.out.write(`waiting for another migration run to finish${pid ? ` (backend pid ${pid})` : ''}…\n`),
      },
      async () => {
        await migrateControl(pool);
        await installQueue(databaseUrl, cliLogger);
        const bar = new cliProgress.SingleBar(
          {
            stream: opts.out,
            format: 'tenants [{bar}] {value}/{total} {failed} failed, eta {eta_formatted}',
            noTTYOutput: true,
            notTTYSchedule: 5000,
          },
          cliProgress.Presets.shades_classic,
        );
        let failed = 0;
        const report = await migrateTenants(pool, {
          migrations,
          concurrency: opts.concurrency,
          onStart: (pending) => pending > 0 && bar.start(pending, 0, { failed }),
          onTenantDone: (_id, failure) => {
            if (failure) failed++;
            bar.increment(1, { failed });
          },
        });
        bar.stop();
        return report;
      },
    );
  } finally {
    await pool.end();
  }
}

export async function migrateCommand(argv: string[]): Promise<number> {
  const { flags } = parseFlags(
    argv,
    { concurrency: { type: 'string' }, 'no-wait': { type: 'boolean' }, 'tenant-migrations': { type: 'string' } },
    flagsSchema,
  );
  try {
    const report = await runMigrations(databaseUrlFromEnv(), {
      concurrency: flags.concurrency,
      wait: !flags['no-wait'],
      tenantMigrationsDir: flags['tenant-migrations'],
      out: process.stderr,
    });
    console.log(
      `tenants: ${report.tenants}, migrated: ${report.migrated}, already up to date: ${report.upToDate}, failed: ${report.failed.length}`,
    );
    for (const f of report.failed) console.log(`FAILED ${f.tenantId} at ${f.version}: ${f.error}`);
    return report.failed.length === 0 ? 0 : 1;
  } catch (err) {
    if (err instanceof MigrationLockBusyError) {
      console.error(`warren migrate: ${err.message}`);
      return 75;
    }
    throw err;
  }
}
