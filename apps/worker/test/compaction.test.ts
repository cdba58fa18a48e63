import type { ChildProcess } from 'node:child_process';
import { writeArchive } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { type ModelStack, startModelStack } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, eventually, spawnApi, spawnWorker, stopProcess } from './helpers.ts';

// Long conversations through real processes: a history past its budget is compacted, its full
// transcript archived in the commit's transaction and found by search; assistants' versions
// decide each turn's system prompt and model.

const BUDGET_TOKENS = 1000;

let stack: ModelStack;
let api: ApiProcess;
let worker: ChildProcess;
let tenantA: { id: string; key: string };
let tenantB: { id: string; key: string };

type Entry = { role: string; content: unknown };
type Body = { model: string; system?: string; messages: Entry[]; tools?: Array<{ name: string }> };
const bodies = () => stack.fake.requests.map((r) => r.body as Body);
const textOf = (entry: Entry) =>
  typeof entry.content === 'string' ? entry.content : (entry.content as Array<{ text?: string }>).map((b) => b.text ?? '').join('\n');

async function tenant(name: string) {
  const { tenant, apiKey } = await provisionTenant(stack.db.pool, { name });
  return { id: tenant.id, key: apiKey.key };
}

beforeAll(async () => {
  stack = await startModelStack();
  tenantA = await tenant('compaction-a');
  tenantB = await tenant('compaction-b');
  worker = spawnWorker(stack, 'sandboxes', { COMPACTION_BUDGET_TOKENS: String(BUDGET_TOKENS), COMPACTION_KEEP_TURNS: '1' });
  api = await spawnApi(stack);
}, 60_000);

afterAll(async () => {
  for (const child of [api?.process, worker]) if (child) await stopProcess(child, 'SIGTERM');
  await stack.close();
});

const call = (method: string, path: string, body?: unknown, key = tenantA.key) => api.call(method, path, key, body);

/** Posts a message and waits until the conversation holds `replies` assistant messages. */
async function say(conversationId: string, content: string, replies: number, key = tenantA.key) {
  expect((await call('POST', `/v1/conversations/${conversationId}/messages`, { content }, key)).status).toBe(201);
  await eventually(
    () => call('GET', `/v1/conversations/${conversationId}/messages?limit=200`, undefined, key),
    (r) => r.body.data.filter((m: { role: string }) => m.role === 'assistant').length >= replies,
  );
}

const session = (tenantId: string, conversationId: string) =>
  withTenant(stack.db.pool, tenantId, async (tx) => {
    const { rows } = await tx.client.query<{ history: Entry[]; context_tokens: number }>(
      'SELECT history, context_tokens FROM sessions WHERE conversation_id = $1',
      [conversationId],
    );
    return rows[0]!;
  });

describe('compaction', () => {
  let conv: string;
  let before: Entry[];

  it('a conversation grows past its budget', async () => {
    conv = (await call('POST', '/v1/conversations', {})).body.id;
    await say(conv, 'the codeword is xylophone', 1);
    // a word that only the tool's output and the model's <internal> echo of it hold: no stored message has it
    await say(conv, `#fake tool bash {"command":"printf '<internal>zeb%sra</internal>' ul"}`, 2);
    await say(conv, '#fake long 5000', 3);
    const grown = await session(tenantA.id, conv);
    expect(grown.context_tokens).toBeGreaterThanOrEqual(BUDGET_TOKENS);
    expect(grown.history).toHaveLength(8);
    before = grown.history;
  });

  it('a turn that fails mid-compaction leaves the history as it was, and its retry compacts', async () => {
    stack.fake.reset();
    stack.fake.setFailureRate(1);
    try {
      await call('POST', `/v1/conversations/${conv}/messages`, { content: 'what did we talk about?' });
      const failed = await eventually(
        () => call('GET', `/v1/conversations/${conv}/turns`),
        (r) => r.body.data[0]?.error !== null && r.body.data[0]?.covered.throughSeq === 7,
      );
      expect(failed.body.data[0]).toMatchObject({ outputSent: false, error: { kind: 'runner_error' } });
      // the one call the runner made was the summary call (retried by the SDK), and it failed
      expect(bodies().every((b) => textOf(b.messages.at(-1)!).startsWith('Summarise the conversation'))).toBe(true);
      expect((await session(tenantA.id, conv)).history).toEqual(before);
      expect((await call('GET', `/v1/conversations/${conv}/archives`)).body.data).toEqual([]);
    } finally {
      stack.fake.setFailureRate(0);
    }
    await eventually(
      () => call('GET', `/v1/conversations/${conv}/turns`),
      (r) => r.body.data[0]?.status === 'succeeded',
    );
  });

  it('the archive holds the exact transcript from before; the next input is the summary and the recent turn', async () => {
    const archives = (await call('GET', `/v1/conversations/${conv}/archives`)).body.data;
    expect(archives).toHaveLength(1);
    const archive = (await call('GET', `/v1/archives/${archives[0].id}`)).body;
    const transcript = [...before, { role: 'user', content: 'what did we talk about?' }];
    expect(archive.transcript).toEqual(transcript);
    expect(archive).toMatchObject({ messageCount: transcript.length, reason: 'compaction' });
    expect(archive.contextTokens).toBeGreaterThanOrEqual(BUDGET_TOKENS);
    expect(archive.usage.inputTokens).toBeGreaterThan(0);

    const calls = bodies().filter((b) => !textOf(b.messages.at(-1)!).startsWith('Summarise the conversation'));
    const next = calls.at(-1)!.messages;
    expect(next).toHaveLength(1);
    expect(textOf(next[0]!)).toContain(archive.summary);
    expect(textOf(next[0]!)).toMatch(/what did we talk about\?$/);

    const now = (await session(tenantA.id, conv)).history;
    expect(now[0]).toEqual(next[0]);
    expect(JSON.stringify(now)).not.toContain('xylophone');
  });

  it('search finds the conversation by a word only its archive holds, and never in another tenant', async () => {
    const hits = (await call('GET', '/v1/search?q=zebulra')).body.data;
    expect(hits).toEqual([expect.objectContaining({ kind: 'archive', conversationId: conv, id: expect.stringMatching(/^arc_/) })]);
    expect(hits[0].snippet).toContain('zebulra');
    const messages = (await call('GET', '/v1/search?q=xylophone')).body.data;
    expect(messages.map((h: { kind: string; conversationId: string }) => [h.kind, h.conversationId])).toEqual(
      expect.arrayContaining([
        ['message', conv],
        ['archive', conv],
      ]),
    );
    // another tenant's archive with the same word: each finds only its own
    const other = (await call('POST', '/v1/conversations', {}, tenantB.key)).body.id;
    await withTenant(stack.db.pool, tenantB.id, (tx) =>
      writeArchive(tx, {
        conversationId: other,
        turnId: 'turn_b',
        transcript: [{ role: 'user', content: 'zebulra' }],
        summary: '',
        contextTokens: 1,
      }),
    );
    expect((await call('GET', '/v1/search?q=zebulra')).body.data).toHaveLength(1);
    const ofB = (await call('GET', '/v1/search?q=zebulra', undefined, tenantB.key)).body.data;
    expect(ofB).toEqual([expect.objectContaining({ kind: 'archive', conversationId: other })]);
  });
});

describe('assistants', () => {
  it("a new version changes the next turn's system prompt, model and tools; a pinned conversation keeps the old one", async () => {
    const v1 = (await call('POST', '/v1/assistants', { name: 'Ada', instructions: 'You are Ada, version one.', model: 'claude-ada-1' }))
      .body;
    expect(v1).toMatchObject({ version: 1, name: 'Ada', tools: null, skills: [] });
    const following = (await call('POST', '/v1/conversations', { assistantId: v1.id })).body;
    const pinned = (await call('POST', '/v1/conversations', { assistantId: v1.id, assistantVersion: 1 })).body;
    expect(following).toMatchObject({ assistantName: 'Ada', assistantId: v1.id, assistantVersion: null });

    stack.fake.reset();
    await say(following.id, 'first for the follower', 1);
    expect(bodies().at(-1)).toMatchObject({ system: 'You are Ada, version one.', model: 'claude-ada-1' });

    const v2 = (
      await call('PATCH', `/v1/assistants/${v1.id}`, { instructions: 'You are Ada, version two.', model: 'claude-ada-2', tools: ['bash'] })
    ).body;
    expect(v2).toMatchObject({ id: v1.id, version: 2, name: 'Ada' });
    const versions = (await call('GET', `/v1/assistants/${v1.id}/versions`)).body.data;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect((await call('GET', `/v1/assistants/${v1.id}/versions/1`)).body.instructions).toBe('You are Ada, version one.');

    stack.fake.reset();
    await say(following.id, 'second for the follower', 2);
    const followed = bodies().at(-1)!;
    expect(followed).toMatchObject({ system: 'You are Ada, version two.', model: 'claude-ada-2' });
    expect(followed.tools?.map((t) => t.name)).toEqual(['bash']);

    stack.fake.reset();
    await say(pinned.id, 'for the pinned one', 1);
    expect(bodies().at(-1)).toMatchObject({ system: 'You are Ada, version one.', model: 'claude-ada-1' });

    const turnsOf = async (id: string) => (await call('GET', `/v1/conversations/${id}/turns`)).body.data;
    expect((await turnsOf(following.id)).map((t: { assistantVersionId: string }) => t.assistantVersionId)).toEqual([
      v2.versionId,
      v1.versionId,
    ]);
    expect((await turnsOf(pinned.id))[0].assistantVersionId).toBe(v1.versionId);
  });
});
