import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { provisionTenant } from '@warren/tenancy';
import { startModelStack, TEST_TOKEN_SECRET, type ModelStack } from '@warren/testkit';
import { ingestMessage } from '@warren/turns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, stopProcess } from './helpers.ts';

// A graceful stop lets the running turn finish and claims nothing new. Real worker process,
// real sandbox.

const workerMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let stack: ModelStack;
let queue: TurnQueue;
let run = 0;

function startWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [workerMain], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'error',
      DATABASE_URL: stack.db.url,
      PROXY_SOCKET_PATH: stack.proxySocket,
      PROXY_TOKEN_SECRET: TEST_TOKEN_SECRET,
      SANDBOX_ROOT: join(stack.dir, `scheduling-${++run}`),
      ...env,
    },
    stdio: 'inherit',
  });
}

async function tenantWith(conversations: number) {
  const { tenant } = await provisionTenant(stack.db.pool, { name: `scheduling-${run}` });
  const ids: string[] = [];
  for (let i = 0; i < conversations; i++) ids.push(await withTenant(stack.db.pool, tenant.id, async (tx) => (await createConversation(tx, {})).id));
  return { tenantId: tenant.id, ids };
}

const post = (tenantId: string, conversationId: string, content: string) =>
  withTenant(stack.db.pool, tenantId, (tx) => ingestMessage(tx, queue, conversationId, { content }));

/** Every finished turn of a tenant, with its time window. */
const windows = (tenantId: string) =>
  withTenant(stack.db.pool, tenantId, async (tx) =>
    (
      await tx.client.query(
        `SELECT conversation_id, kind, status, started_at, finished_at FROM turns WHERE status = 'succeeded' ORDER BY started_at`,
      )
    ).rows as Array<{ conversation_id: string; kind: string; status: string; started_at: Date; finished_at: Date }>,
  );

beforeAll(async () => {
  stack = await startModelStack();
  queue = await TurnQueue.start(stack.db.url);
}, 60_000);

afterAll(async () => {
  await queue.stop();
  await stack.close();
});

describe('worker shutdown', () => {
  it('on SIGTERM stops claiming, lets the running turn finish, and exits cleanly', async () => {
    const t = await tenantWith(2);
    const worker = startWorker({ WORKER_CONCURRENCY: '1', TENANT_CONCURRENCY: '1' });
    try {
      await post(t.tenantId, t.ids[0]!, '#fake sleep 2000');
      await eventually(
        () => withTenant(stack.db.pool, t.tenantId, async (tx) => (await tx.client.query(`SELECT 1 FROM turns WHERE status = 'running'`)).rowCount),
        (n) => n === 1,
      );
      await post(t.tenantId, t.ids[1]!, 'arrives during shutdown');
      const code = await stopProcess(worker, 'SIGTERM');
      expect(code).toBe(0);
      const finished = await windows(t.tenantId);
      expect(finished.map((w) => w.conversation_id)).toEqual([t.ids[0]]); // the running turn finished, the next was not claimed
    } finally {
      await stopProcess(worker);
    }
  }, 120_000);
});
