// pnpm bench:migrate — provisioning 1,000 tenants, then one added migration applied to all of
// them by `warren migrate`, beside the same DDL run raw over the same schemas in the same run.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, tenantMigrationsDir } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { printTable } from './lib/report.ts';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const ADDED = '9999_bench_added';
const DDL = (column: string) => [
  `ALTER TABLE "messages" ADD COLUMN "${column}" integer DEFAULT 0 NOT NULL`,
  `CREATE INDEX "messages_${column}_idx" ON "messages" ("${column}")`,
];

/** Runs `task` over `items` on `lanes` parallel lanes. */
async function inLanes<T>(items: T[], lanes: number, task: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

const db = await benchDatabase();
const pool = createPool(db.url, { max: CONCURRENCY + 2, logger: benchLogger });
const migrationsDir = mkdtempSync(join(tmpdir(), 'warren-bench-migrations-'));
try {
  // 1. provisioning
  let t0 = performance.now();
  const ids: string[] = [];
  await inLanes(
    Array.from({ length: TENANTS }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      ids.push((await provisionTenant(pool, { name: `bench-${i}` })).tenant.id);
    },
  );
  const provisionS = (performance.now() - t0) / 1000;

  // 2. baseline: the same kind of DDL, raw, straight into every schema (no lock, no records, no role)
  const superuserDbUrl = new URL(db.superuserUrl);
  superuserDbUrl.pathname = new URL(db.url).pathname;
  const superPool = createPool(superuserDbUrl.toString(), { max: CONCURRENCY, logger: benchLogger });
  t0 = performance.now();
  await inLanes(ids, CONCURRENCY, async (id) => {
    const client = await superPool.connect();
    try {
      await client.query(`SET search_path = "t_${id.slice(4)}"`);
      for (const statement of DDL('raw_baseline')) await client.query(statement);
    } finally {
      client.release();
    }
  });
  const rawS = (performance.now() - t0) / 1000;
  await superPool.end();

  // 3. warren migrate with one added migration, as an operator runs it
  cpSync(tenantMigrationsDir, migrationsDir, { recursive: true });
  const journalFile = join(migrationsDir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8'));
  journal.entries.push({ idx: journal.entries.length, version: '7', when: Date.now(), tag: ADDED, breakpoints: true });
  writeFileSync(journalFile, JSON.stringify(journal));
  writeFileSync(join(migrationsDir, `${ADDED}.sql`), DDL('bench_added').join(';\n--> statement-breakpoint\n'));
  t0 = performance.now();
  const cli = fileURLToPath(new URL('../apps/cli/src/main.ts', import.meta.url));
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [cli, 'migrate', '--tenant-migrations', migrationsDir, '--concurrency', String(CONCURRENCY)], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url },
      stdio: ['ignore', 'inherit', 'ignore'],
    });
    child.once('close', resolve);
  });
  const migrateS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`warren migrate exited ${code}`);

  printTable(`Tenant provisioning and migration (${TENANTS} tenants, concurrency ${CONCURRENCY})`, [
    {
      step: 'provision tenants (role, schema, tables, key)',
      seconds: provisionS,
      'ms/tenant': (provisionS * 1000) / TENANTS,
      'tenants/s': TENANTS / provisionS,
    },
    { step: 'baseline: raw DDL into every schema', seconds: rawS, 'ms/tenant': (rawS * 1000) / TENANTS, 'tenants/s': TENANTS / rawS },
    {
      step: 'warren migrate: one added migration (process start included)',
      seconds: migrateS,
      'ms/tenant': (migrateS * 1000) / TENANTS,
      'tenants/s': TENANTS / migrateS,
    },
  ]);
} finally {
  rmSync(migrationsDir, { recursive: true, force: true });
  await pool.end();
  await db.stop();
}
