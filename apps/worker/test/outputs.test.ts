import type { ChildProcess } from 'node:child_process';
import { tenantSchemaName, withTenant } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { type ModelStack, startModelStack, superuserClient } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiProcess, spawnApi, spawnWorker, stopProcess } from './helpers.ts';

// A turn's send_message outputs end to end, with real processes (API, two workers, sandboxes,
// credential proxy, fake model): many conversations at once, each turn sending three messages
// before its answer. Every output is stored exactly once, in the agent's order, before the turn
// ends; a write the database refuses fails the turn where the API shows it.

const TENANTS = 4;
const CONVERSATIONS_PER_TENANT = 12;

let stack: ModelStack;
let api: ApiProcess;
const workers: ChildProcess[] = [];
const conversations: Array<{ tenantId: string; key: string; id: string }> = [];

type Conversation = (typeof conversations)[number];
type ApiMessage = { seq: number; role: string; content: string; turnId: string | null };
type ApiTurn = { id: string; status: string; outputSent: boolean; error: { message: string } | null };

const sendLine = (text: string) => `#fake tool send_message ${JSON.stringify({ text })}`;
const post = (c: Conversation, content: string) => api.call('POST', `/v1/conversations/${c.id}/messages`, c.key, { content });

/** Waits until the conversation's `count`-th turn has ended; returns it (the API lists turns newest first). */
async function ended(c: Conversation, count: number): Promise<ApiTurn> {
  return vi.waitFor(
    async () => {
      const turns: ApiTurn[] = (await api.call('GET', `/v1/conversations/${c.id}/turns`, c.key)).body.data;
      const newest = turns[0];
      if (turns.length < count || !newest || newest.status === 'queued' || newest.status === 'running')
        throw new Error(`turn ${count} still open`);
      return newest;
    },
    { timeout: 180_000, interval: 500 },
  );
}

/** The turn's messages as the API shows them, in conversation order, and their out_seq as stored. */
async function outputsOf(c: Conversation, turnId: string) {
  const page = (await api.call('GET', `/v1/conversations/${c.id}/messages?limit=200`, c.key)).body.data as ApiMessage[];
  const shown = page.filter((m) => m.turnId === turnId);
  const outSeqs = await withTenant(stack.db.pool, c.tenantId, async (tx) =>
    (await tx.client.query('SELECT out_seq FROM messages WHERE turn_id = $1 ORDER BY seq', [turnId])).rows.map((r) => r.out_seq as number),
  );
  return { contents: shown.map((m) => m.content), seqs: shown.map((m) => m.seq), outSeqs };
}

beforeAll(async () => {
  stack = await startModelStack();
  const settings = {
    WORKER_CONCURRENCY: '8',
    TENANT_CONCURRENCY: '4',
    SANDBOX_MAX: String(TENANTS * CONVERSATIONS_PER_TENANT),
    SANDBOX_MAX_PER_TENANT: String(CONVERSATIONS_PER_TENANT),
  };
  workers.push(spawnWorker(stack, 'outputs-0', settings), spawnWorker(stack, 'outputs-1', settings));
  api = await spawnApi(stack);
  for (let t = 0; t < TENANTS; t++) {
    const { tenant, apiKey } = await provisionTenant(stack.db.pool, { name: `outputs-${t}` });
    for (let n = 0; n < CONVERSATIONS_PER_TENANT; n++) {
      const created = await api.call('POST', '/v1/conversations', apiKey.key, {});
      conversations.push({ tenantId: tenant.id, key: apiKey.key, id: created.body.id });
    }
  }
}, 120_000);

afterAll(async () => {
  for (const child of [api?.process, ...workers]) if (child) await stopProcess(child, 'SIGTERM');
  await stack.close();
});

describe('send_message outputs end to end', () => {
  it.each([
    { round: 1, variant: 'parallel calls in one model answer', script: (p: string[]) => p.map(sendLine) },
    // bash sleeps between the calls, so their files reach the host in separate reads
    {
      round: 2,
      variant: 'calls spread over time',
      script: (p: string[]) =>
        p.flatMap((text, i) => (i === 0 ? [sendLine(text)] : [`#fake tool bash {"command":"sleep 0.3"}`, sendLine(text)])),
    },
  ])(
    `$variant: ${TENANTS * CONVERSATIONS_PER_TENANT} conversations at once, three outputs per turn: each stored once, in the agent's order, before the answer`,
    async ({ round, script }) => {
      const parts = (c: Conversation) => ['p1', 'p2', 'p3'].map((p) => `${p} of ${c.id} in round ${round}`);
      const posted = await Promise.all(conversations.map((c) => post(c, script(parts(c)).join('\n'))));
      expect(posted.map((r) => r.status)).toEqual(conversations.map(() => 201));

      const turns = await Promise.all(conversations.map((c) => ended(c, round)));
      expect(turns.filter((t) => t.status !== 'succeeded')).toEqual([]);
      for (const [i, c] of conversations.entries()) {
        const { contents, seqs, outSeqs } = await outputsOf(c, turns[i]!.id);
        // p1 < p2 < p3 < the final answer, by conversation seq and by out_seq; nothing twice, nothing missing
        expect(contents).toEqual([...parts(c), expect.stringMatching(/^tool result: sent/)]);
        expect(seqs).toEqual(seqs.toSorted((a, b) => a - b));
        expect(outSeqs).toEqual([0, 1, 2, 3]);
      }
    },
    240_000,
  );

  it.each([
    { outSeq: 1, what: 'the second send_message output', stored: ['p1'] },
    { outSeq: 3, what: 'the final answer', stored: ['p1', 'p2', 'p3'] },
  ])(
    'a database that refuses $what fails the turn visibly, keeps the outputs before it, and the conversation goes on',
    async ({ outSeq, what, stored }) => {
      const c = conversations[0]!;
      const before = (await api.call('GET', `/v1/conversations/${c.id}/turns`, c.key)).body.data.length as number;
      // a real refusal by Postgres: a trigger in the tenant's schema, made by a superuser
      const schema = tenantSchemaName(c.tenantId);
      const admin = await superuserClient(new URL(stack.db.url).pathname.slice(1));
      try {
        await admin.query(`CREATE FUNCTION ${schema}.refuse_output() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure: output % refused', NEW.out_seq; END $$`);
        await admin.query(
          `CREATE TRIGGER refuse_output BEFORE INSERT ON ${schema}.messages FOR EACH ROW
           WHEN (NEW.conversation_id = '${c.id}' AND NEW.out_seq = ${outSeq}) EXECUTE FUNCTION ${schema}.refuse_output()`,
        );
        await post(c, ['p1', 'p2', 'p3'].map(sendLine).join('\n'));
        const turn = await ended(c, before + 1);
        const shown = (await api.call('GET', `/v1/turns/${turn.id}`, c.key)).body as ApiTurn;
        expect(shown).toMatchObject({
          status: 'failed',
          outputSent: true,
          error: { message: `injected failure: output ${outSeq} refused` },
        });
        // the outputs before the refused one are stored once each; the refused one and those after it are not
        expect((await outputsOf(c, turn.id)).contents, what).toEqual(stored);
      } finally {
        await admin.query(`DROP TRIGGER IF EXISTS refuse_output ON ${schema}.messages; DROP FUNCTION IF EXISTS ${schema}.refuse_output()`);
        await admin.end();
      }
      // a failure after output is not retried: the next message gets the next turn
      await post(c, 'still there?');
      const next = await ended(c, before + 2);
      expect(next.status).toBe('succeeded');
      expect((await outputsOf(c, next.id)).contents).toEqual([expect.stringContaining('still there?')]);
    },
  );
});
