import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { provisionTenant } from '@warren/tenancy';
import { freePort, type ModelStack, startCrashablePostgres, startModelStack, TEST_TOKEN_SECRET } from '@warren/testkit';
import { ingestMessage } from '@warren/turns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, spawnWorker, startProgram, stopProcess } from './helpers.ts';

// Faults the processes must survive by themselves: a restarted credential proxy, a SIGKILLed
// worker's sandboxes, and the API and proxy started while Postgres is down.

let stack: ModelStack;
let queue: TurnQueue;
let tenantId: string;

beforeAll(async () => {
  stack = await startModelStack();
  queue = await TurnQueue.start(stack.db.url, stack.logger);
  tenantId = (await provisionTenant(stack.db.pool, { name: 'faults' })).tenant.id;
}, 60_000);

afterAll(async () => {
  await queue?.stop();
  await stack?.close();
});

const newConversation = () => withTenant(stack.db.pool, tenantId, async (tx) => (await createConversation(tx, {})).id);
const post = (conversationId: string, content: string) =>
  withTenant(stack.db.pool, tenantId, (tx) => ingestMessage(tx, queue, conversationId, { content }));

/** The conversation's latest turn once it ended, with its reply. */
async function endedTurn(conversationId: string, count: number) {
  const probe = () =>
    withTenant(stack.db.pool, tenantId, async (tx) => {
      const { rows } = await tx.client.query<{ status: string; reply: string | null }>(
        `SELECT t.status, (SELECT string_agg(content, '\n') FROM messages m WHERE m.turn_id = t.id) AS reply
           FROM turns t WHERE t.conversation_id = $1 AND t.status IN ('succeeded', 'failed') ORDER BY t.started_at`,
        [conversationId],
      );
      return rows;
    });
  const turns = await eventually(probe, (rows) => rows.length >= count, 120_000);
  return turns[count - 1];
}

/** Host processes whose command line contains `text`: with a worker's folder, its sandboxes (launcher, bwrap, runner). */
function processesUnder(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // ended while listed
    }
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

describe('faults', () => {
  it('a restarted proxy is reached by a warm sandbox: the next turn succeeds in the same sandbox', async () => {
    const worker = spawnWorker(stack, 'proxy-restart');
    try {
      const id = await newConversation();
      // /tmp is the sandbox's own tmpfs: the marker is there only in the same sandbox
      await post(id, '#fake tool bash {"command":"echo marker-$$-$RANDOM > /tmp/warm; cat /tmp/warm"}');
      const first = await endedTurn(id, 1);
      expect(first?.status).toBe('succeeded');
      const marker = /marker-\d+-\d+/.exec(first?.reply ?? '')?.[0];
      expect(marker).toBeDefined();

      await stack.restartProxy();
      await post(id, '#fake tool bash {"command":"cat /tmp/warm"}');
      const second = await endedTurn(id, 2);
      expect(second).toMatchObject({ status: 'succeeded', reply: expect.stringContaining(marker!) });
    } finally {
      await stopProcess(worker);
    }
  }, 180_000);

  it('a SIGKILLed worker leaves no sandbox process behind, warm or still starting', async () => {
    // warm: an idle sandbox after a turn
    const warmRoot = join(stack.dir, 'killed-warm');
    const warm = spawnWorker(stack, 'killed-warm');
    const id = await newConversation();
    // the agent leaves a process of its own behind, in a session of its own, away from the runner
    const marker = `${4000 + Math.floor(Math.random() * 1000)}.25`;
    await post(id, `#fake tool bash ${JSON.stringify({ command: `(setsid nohup sleep ${marker} >/dev/null 2>&1 &)` })}`);
    expect((await endedTurn(id, 1))?.status).toBe('succeeded');
    expect(processesUnder(warmRoot).length).toBeGreaterThan(0);
    expect(processesUnder(`sleep\0${marker}`)).toHaveLength(1);
    await stopProcess(warm);
    await expect.poll(() => processesUnder(warmRoot), { timeout: 10_000 }).toEqual([]);
    await expect.poll(() => processesUnder(`sleep\0${marker}`), { timeout: 10_000 }).toEqual([]);

    // starting: killed the moment its first sandbox's launcher appears, before bwrap can tie
    // the sandbox to it (--die-with-parent)
    const startingRoot = join(stack.dir, 'killed-starting');
    const starting = spawnWorker(stack, 'killed-starting');
    await post(await newConversation(), 'hello again');
    const deadline = Date.now() + 60_000;
    while (processesUnder(startingRoot).length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r)); // as tight as it gets
    await stopProcess(starting);
    await expect.poll(() => processesUnder(startingRoot), { timeout: 10_000 }).toEqual([]);
  }, 180_000);
});

describe('started while Postgres is down', () => {
  it('the API and the proxy wait for it, report not ready meanwhile, and serve once it is back', async () => {
    const pg = await startCrashablePostgres();
    const port = await freePort();
    const children: ChildProcess[] = [];
    const exits: Array<number | null> = [];
    try {
      await pg.crash();
      const proxySocket = join(stack.dir, 'down-proxy', 'proxy.sock');
      children.push(
        startProgram('apps/api/src/main.ts', {
          LOG_LEVEL: 'fatal',
          DATABASE_URL: pg.db.url,
          OPS_TOKEN: 'faults-ops-token-0123456789abcdef',
          PORT: String(port),
        }),
        startProgram('apps/credential-proxy/src/main.ts', {
          LOG_LEVEL: 'fatal',
          DATABASE_URL: pg.db.url,
          PROXY_SOCKET_PATH: proxySocket,
          PROXY_TOKEN_SECRET: TEST_TOKEN_SECRET,
        }),
      );
      for (const child of children) child.once('exit', (code) => exits.push(code));
      const ready = () =>
        fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status,
          () => 0,
        );
      await expect.poll(ready, { timeout: 30_000 }).toBe(503);
      await pg.start();
      await expect.poll(ready, { timeout: 30_000 }).toBe(200);
      expect(exits).toEqual([]);
    } finally {
      for (const child of children) await stopProcess(child, 'SIGTERM');
      await pg.db.drop();
    }
  }, 120_000);
});
