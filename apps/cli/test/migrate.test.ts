import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tenantMigrationsDir } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { createTestDatabase, superuserClient, type TestDatabase } from '@warren/testkit';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

const TENANTS = 200;
const ADDED = '0099_test_priority';

let db: TestDatabase;
let admin: pg.Client;
let migrationsDir: string;
let tenantIds: string[];

/** The real tenant migration set plus one added migration, as a developer would generate it. */
function migrationSetWithAddition(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warren-migrations-'));
  cpSync(tenantMigrationsDir, dir, { recursive: true });
  const journalFile = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8'));
  journal.entries.push({ idx: journal.entries.length, version: '7', when: Date.now(), tag: ADDED, breakpoints: true });
  writeFileSync(journalFile, JSON.stringify(journal));
  writeFileSync(
    join(dir, `${ADDED}.sql`),
    'ALTER TABLE "messages" ADD COLUMN "priority" integer DEFAULT 0 NOT NULL;\n--> statement-breakpoint\nCREATE INDEX "messages_priority_idx" ON "messages" ("priority");',
  );
  return dir;
}

beforeAll(async () => {
  db = await createTestDatabase();
  admin = await superuserClient(new URL(db.url).pathname.slice(1));
  migrationsDir = migrationSetWithAddition();
  tenantIds = [];
  for (let i = 0; i < TENANTS; i += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, TENANTS - i) }, (_, j) => provisionTenant(db.pool, { name: `t${i + j}` })),
    );
    tenantIds.push(...batch.map((b) => b.tenant.id));
  }
}, 300_000);

afterAll(async () => {
  await admin.end();
  await db.drop();
  rmSync(migrationsDir, { recursive: true, force: true });
});

const appliedCount = async () =>
  Number((await db.pool.query('SELECT count(*) FROM control.tenant_migrations WHERE version = $1', [ADDED])).rows[0].count);

describe('warren migrate across tenants', () => {
  it('migrates every healthy tenant, names the broken one, and finishes after repair', async () => {
    const broken = tenantIds[137]!;
    const schema = `t_${broken.slice(4)}`;
    await admin.query(`ALTER TABLE "${schema}".messages RENAME TO messages_moved`);
    const env = { DATABASE_URL: db.url };

    const first = await runCli(['migrate', '--tenant-migrations', migrationsDir, '--concurrency', '4'], env);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain(`tenants: ${TENANTS}, migrated: ${TENANTS - 1}, already up to date: 0, failed: 1`);
    expect(first.stdout).toMatch(new RegExp(`FAILED ${broken} at ${ADDED}: relation "messages" does not exist`));
    expect(await appliedCount()).toBe(TENANTS - 1);
    // the failed tenant was left exactly as it was: no half-applied migration
    const column = await admin.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'priority'`, [
      schema,
    ]);
    expect(column.rowCount).toBe(0);

    await admin.query(`ALTER TABLE "${schema}".messages_moved RENAME TO messages`);
    const second = await runCli(['migrate', '--tenant-migrations', migrationsDir], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`tenants: ${TENANTS}, migrated: 1, already up to date: ${TENANTS - 1}, failed: 0`);
    expect(await appliedCount()).toBe(TENANTS);

    const third = await runCli(['migrate', '--tenant-migrations', migrationsDir], env);
    expect(third.stdout).toContain(`migrated: 0, already up to date: ${TENANTS}`);
  }, 300_000);

  it('lets only one run hold the lock: --no-wait exits 75, otherwise it waits its turn', async () => {
    const holder = await superuserClient(new URL(db.url).pathname.slice(1));
    try {
      await holder.query('SELECT pg_advisory_lock(7201455421)');
      const refused = await runCli(['migrate', '--no-wait'], { DATABASE_URL: db.url });
      expect(refused.code).toBe(75);
      expect(refused.stderr).toMatch(/another migration run holds the lock \(backend pid \d+\)/);

      let sawWaiting: () => void;
      const waiting = new Promise<void>((r) => (sawWaiting = r));
      const queued = runCli(['migrate', '--tenant-migrations', migrationsDir], { DATABASE_URL: db.url }, (chunk) => {
        if (chunk.includes('waiting for another migration run')) sawWaiting();
      });
      await waiting;
      await holder.query('SELECT pg_advisory_unlock(7201455421)');
      const done = await queued;
      expect(done.code).toBe(0);
    } finally {
      await holder.end();
    }
  });

  it('rejects bad flags with a usage error', async () => {
    const res = await runCli(['migrate', '--concurrency', 'lots'], { DATABASE_URL: db.url });
    expect(res.code).toBe(64);
    expect(res.stderr).toContain('--concurrency');
    const noUrl = await runCli(['migrate'], {});
    expect(noUrl.code).toBe(64);
    expect(noUrl.stderr).toContain('DATABASE_URL');
  });
});
