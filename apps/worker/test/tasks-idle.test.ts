import { createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { createTask, DEFAULT_TASK_LIMITS } from '@warren/tasks';
import { provisionTenant } from '@warren/tenancy';
import { type ModelStack, startModelStack } from '@warren/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnWorker, stopProcess } from './helpers.ts';

// Waiting tasks cost nothing: a task's next run is a deferred job, and no one scans for due
// tasks. The database's transaction counter (pg_stat_database) over the same window with a
// worker running is the same with 10 tasks waiting as with 10,000.

let stack: ModelStack;
let queue: TurnQueue;

beforeAll(async () => {
  stack = await startModelStack();
  queue = await TurnQueue.start(stack.db.url, stack.logger);
}, 60_000);

afterAll(async () => {
  await queue?.stop();
  await stack?.close();
});

async function addTasks(tenantId: string, conversationId: string, n: number) {
  const limits = { ...DEFAULT_TASK_LIMITS, maxActiveTasks: 100_000 };
  for (let done = 0; done < n; done += 500) {
    await withTenant(stack.db.pool, tenantId, async (tx) => {
      for (let i = done; i < Math.min(n, done + 500); i++) {
        await createTask(
          tx,
          queue,
          conversationId,
          { prompt: `idle ${i}`, schedule: { kind: 'interval', value: `${1 + (i % 20)}d` } },
          limits,
        );
      }
    });
  }
}

/** Transactions the server counted over `ms` (each backend flushes its counts within about a second). */
async function transactionsOver(ms: number): Promise<number> {
  const count = async () =>
    Number(
      (
        await stack.db.pool.query<{ n: string }>(
          'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
        )
      ).rows[0]!.n,
    );
  const before = await count();
  await new Promise((r) => setTimeout(r, ms));
  return (await count()) - before - 1;
}

it('the database sees the same statements per second with 10 and with 10,000 tasks waiting', async () => {
  const tenantId = (await provisionTenant(stack.db.pool, { name: 'idle' })).tenant.id;
  const conversationId = (await withTenant(stack.db.pool, tenantId, (tx) => createConversation(tx, {}))).id;
  await addTasks(tenantId, conversationId, 10);
  const worker = spawnWorker(stack, 'sandboxes');
  try {
    await new Promise((r) => setTimeout(r, 5000)); // started and settled
    const few = await transactionsOver(20_000);
    await addTasks(tenantId, conversationId, 9_990);
    await new Promise((r) => setTimeout(r, 3000));
    const many = await transactionsOver(20_000);
    // the counts are of the worker's polling and upkeep; a scan per task would add thousands
    expect(few).toBeGreaterThan(0);
    expect(many).toBeLessThan(few * 1.5 + 20);
  } finally {
    await stopProcess(worker, 'SIGTERM');
  }
}, 300_000);
