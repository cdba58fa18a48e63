import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { TurnQueue } from '@warren/queue';
import { provisionTenant } from '@warren/tenancy';
import { type ModelStack, startModelStack } from '@warren/testkit';
import { ingestMessage } from '@warren/turns';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, spawnWorker, stopProcess } from './helpers.ts';

// A conversation's workspace follows it between workers, and it never has two live sandboxes:
// three worker processes, two sharing a SANDBOX_ROOT (one host) and one with its own (another
// host), SIGKILLed in turn while conversations run multi-turn bash work.

const CONVERSATIONS = 6;
const TURNS = 5;

let stack: ModelStack;
let queue: TurnQueue;

beforeAll(async () => {
  stack = await startModelStack();
  queue = await TurnQueue.start(stack.db.url, stack.logger);
}, 60_000);

afterAll(async () => {
  await queue.stop();
  await stack.close();
});

/**
 * The live sandboxes of this test's conversations, seen from the kernel: every mount namespace
 * but the test's own whose /workspace is a loop device backed by a workspace image under the
 * stack's folder. Conversation id → the loop devices (one per sandbox) in use.
 */
function liveSandboxes(): Map<string, Set<string>> {
  const own = readlinkSync('/proc/self/ns/mnt');
  const found = new Map<string, Set<string>>();
  const seen = new Set<string>([own]);
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const ns = readlinkSync(`/proc/${pid}/ns/mnt`);
      if (seen.has(ns)) continue;
      seen.add(ns);
      const line = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
        .split('\n')
        .find((l) => l.split(' ')[4] === '/workspace');
      const device = line?.split(' - ')[1]?.split(' ')[1];
      if (!device?.startsWith('/dev/loop')) continue;
      const image = readFileSync(`/sys/block/${basename(device)}/loop/backing_file`, 'utf8').trim();
      if (!image.startsWith(stack.dir)) continue; // another test's sandbox on this machine
      const conversation = basename(dirname(image));
      found.set(conversation, new Set([...(found.get(conversation) ?? []), device]));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ESRCH' && code !== 'EACCES') throw err; // the process ended meanwhile
    }
  }
  return found;
}

/** Workspace images under the stack's folder that more than one loop device has open: two filesystems on one image. */
function sharedImages(): string[] {
  const images = readdirSync('/sys/block')
    .filter((name) => name.startsWith('loop'))
    .map((name) => {
      try {
        return readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').trim();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ''; // not attached
        throw err;
      }
    })
    .filter((image) => image.startsWith(stack.dir) && !image.endsWith('(deleted)'));
  return images.filter((image, i) => images.indexOf(image) !== i);
}

it('each turn sees every file earlier turns wrote, whichever worker runs it; never two live sandboxes of one conversation', async () => {
  const { tenant } = await provisionTenant(stack.db.pool, { name: 'follows', maxConcurrentTurns: CONVERSATIONS });
  const ids: string[] = [];
  for (let i = 0; i < CONVERSATIONS; i++)
    ids.push(await withTenant(stack.db.pool, tenant.id, async (tx) => (await createConversation(tx, {})).id));
  const env = { WORKER_CONCURRENCY: '4', SANDBOX_WORKSPACE_MB: '32', LOG_LEVEL: process.env.FOLLOW_LOG_LEVEL ?? 'error' };
  const roots = ['host-a', 'host-a', 'host-b'];
  const workers: ChildProcess[] = roots.map((root) => spawnWorker(stack, root, env));

  const doubles: string[] = [];
  let sampled = 0;
  const everSeen = new Set<string>();
  const sampler = setInterval(() => {
    for (const [conversation, devices] of liveSandboxes()) {
      everSeen.add(conversation);
      if (devices.size > 1) doubles.push(`${conversation}: ${[...devices].join(', ')}`);
    }
    for (const image of sharedImages()) doubles.push(`two loop devices on ${image}`);
    sampled++;
  }, 100);

  const replies = (id: string) =>
    withTenant(stack.db.pool, tenant.id, async (tx) =>
      (
        await tx.client.query<{ content: string }>(
          `SELECT content FROM messages WHERE conversation_id = $1 AND role = 'assistant' ORDER BY seq`,
          [id],
        )
      ).rows.map((r) => r.content),
    );
  try {
    for (let turn = 1; turn <= TURNS; turn++) {
      const command = `echo turn-${turn} >> notes.txt; cat notes.txt`;
      for (const id of ids) {
        await withTenant(stack.db.pool, tenant.id, (tx) =>
          ingestMessage(tx, queue, id, { content: `#fake tool bash ${JSON.stringify({ command })}` }),
        );
      }
      if (turn > 1) {
        // while the turns run: kill one worker (each in turn) and start it again on the same root
        const victim = (turn - 2) % workers.length;
        await eventually(
          async () => (await Promise.all(ids.map(replies))).filter((r) => r.length === turn).length,
          (answered) => answered >= 1,
        );
        await stopProcess(workers[victim]!, 'SIGKILL');
        workers[victim] = spawnWorker(stack, roots[victim]!, env);
      }
      const all = await eventually(
        () => Promise.all(ids.map(replies)),
        (r) => r.every((messages) => messages.length === turn),
        180_000,
      );
      expect(all.map((messages) => messages.length)).toEqual(ids.map(() => turn));
      for (const messages of all) {
        // every earlier turn's line, in order (a turn re-run after its worker died may repeat its own)
        const lines = [...messages.at(-1)!.matchAll(/turn-(\d+)/g)].map((m) => Number(m[1]));
        expect([...new Set(lines)]).toEqual(Array.from({ length: turn }, (_, i) => i + 1));
      }
    }
  } finally {
    clearInterval(sampler);
    await Promise.all(workers.map((w) => stopProcess(w)));
  }
  expect(sampled).toBeGreaterThan(10);
  expect(everSeen.size).toBe(CONVERSATIONS); // the sampler does see sandboxes
  expect(doubles).toEqual([]);
}, 600_000);
