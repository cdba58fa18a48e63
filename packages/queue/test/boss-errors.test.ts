import { TurnQueue } from '@warren/queue';
import { captureLogs, createTestDatabase, superuserClient, type TestDatabase } from '@warren/testkit';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';

// pg-boss's own failures (here: its pooled connections ended by the server) reach the logger.

const logs = captureLogs('queue-errors');
let db: TestDatabase;
let admin: pg.Client;
let queue: TurnQueue;
beforeAll(async () => {
  db = await createTestDatabase({ logger: captureLogs('pool', 'silent').logger });
  admin = await superuserClient(new URL(db.url).pathname.slice(1));
  queue = await TurnQueue.start(db.url, logs.logger);
});
afterAll(async () => {
  await queue.stop();
  await admin.end();
  await db.drop();
});

it('logs a queue connection the server ends, with its stack, and the queue goes on sending', async () => {
  await admin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  await expect.poll(() => logs.records.find((r) => r.msg === 'queue error')).toBeDefined();
  const line = logs.records.find((r) => r.msg === 'queue error')!;
  expect(line.level).toBe(50);
  expect(line.err?.message).toMatch(/terminating connection/);
  expect(line.err?.stack).toMatch(/\n\s+at /);
  const job = { tenantId: 'ten_x', conversationId: 'conv_x', kind: 'message' as const };
  expect(await queue.enqueueLater(job, 60)).toBeTruthy();
});
