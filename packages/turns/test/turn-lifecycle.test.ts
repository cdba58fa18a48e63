import { appendUserMessage, createConversation } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { createTestDatabase, type TestDatabase } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTurnUsage, claimTurn, commitTurn, FencedOutError, failTurn, recordOutput } from '../src/index.ts';

let db: TestDatabase;
let tenantId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  tenantId = (await provisionTenant(db.pool, { name: 'turns' })).tenant.id;
});
afterAll(() => db.drop());

const t = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(db.pool, tenantId, fn);
const newConversation = () => t(async (tx) => (await createConversation(tx, {})).id);
const post = (id: string, content: string) => t((tx) => appendUserMessage(tx, id, { content }));
const claim = (id: string, jobId = 'job-1') => t((tx) => claimTurn(tx, { conversationId: id, jobId, kind: 'message' }));
const state = (id: string) =>
  t(async (tx) => {
    const cursor = (await tx.client.query('SELECT seen_seq::int, processed_seq::int FROM cursors WHERE conversation_id = $1', [id]))
      .rows[0];
    const turns = (
      await tx.client.query(
        'SELECT status, from_seq::int, to_seq::int, attempt, output_sent FROM turns WHERE conversation_id = $1 ORDER BY created_at',
        [id],
      )
    ).rows;
    const messages = (await tx.client.query('SELECT seq::int, role, content FROM messages WHERE conversation_id = $1 ORDER BY seq', [id]))
      .rows;
    return { cursor, turns, messages };
  });
const ok = { finalOutSeq: 99, history: [{ role: 'user', content: 'x' }], usage: { inputTokens: 5, outputTokens: 7 } };

describe('turn lifecycle in the database', () => {
  it('covers every message since processed_seq, trigger or not, and commits in one go', async () => {
    const id = await newConversation();
    for (const content of ['The build is broken', 'Yeah, the tests fail too', '@Andy can you help debug?']) await post(id, content);
    const turn = await claim(id);
    expect(turn).toMatchObject({ fromSeq: 0, toSeq: 3, attempt: 1 });
    expect(turn!.newMessages.map((m) => m.content)).toEqual([
      'The build is broken',
      'Yeah, the tests fail too',
      '@Andy can you help debug?',
    ]);
    expect((await state(id)).cursor).toEqual({ seen_seq: 3, processed_seq: 0 });

    await t((tx) => commitTurn(tx, turn!, { ...ok, finalText: '<internal>look at CI</internal>On it: the fixture is stale.' }));
    const after = await state(id);
    expect(after.cursor).toEqual({ seen_seq: 3, processed_seq: 3 });
    expect(after.turns).toEqual([{ status: 'succeeded', from_seq: 0, to_seq: 3, attempt: 1, output_sent: true }]);
    expect(after.messages.at(-1)).toEqual({ seq: 4, role: 'assistant', content: 'On it: the fixture is stale.' });
    // the reply takes a seq but is not new input: a trigger now finds nothing to answer
    expect(await claim(id, 'job-2')).toBeNull();
    expect((await state(id)).cursor).toEqual({ seen_seq: 4, processed_seq: 4 });
  });

  it('the next turn covers messages that arrived during the previous one', async () => {
    const id = await newConversation();
    await post(id, 'first');
    const one = await claim(id);
    await post(id, 'arrived mid-turn');
    await t((tx) => commitTurn(tx, one!, { ...ok, finalText: 'reply one' }));
    const two = await claim(id, 'job-2');
    expect(two!.newMessages.map((m) => m.content)).toEqual(['arrived mid-turn']);
    expect(two).toMatchObject({ fromSeq: 1, toSeq: 3 });
  });

  it('error before output: nothing advances; the retry resumes the same turn and fences the old attempt', async () => {
    const id = await newConversation();
    await post(id, 'hello');
    const first = await claim(id);
    expect(await t((tx) => failTurn(tx, first!, { kind: 'runner_error', message: 'upstream 529' }, false))).toBe('retry');
    expect((await state(id)).cursor.processed_seq).toBe(0);
    const retry = await claim(id, 'job-1');
    expect(retry).toMatchObject({ turnId: first!.turnId, attempt: 2, fromSeq: 0, toSeq: 1 });
    await expect(t((tx) => commitTurn(tx, first!, { ...ok, finalText: 'stale worker' }))).rejects.toBeInstanceOf(FencedOutError);
    await t((tx) => commitTurn(tx, retry!, { ...ok, finalText: 'answer' }));
    const after = await state(id);
    expect(after.messages.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual(['answer']);
  });

  it('a worker that died before output is resumed; one that died after output is not re-run', async () => {
    const before = await newConversation();
    await post(before, 'q');
    const dead = await claim(before); // the worker dies here: the turn stays running
    const resumed = await claim(before, 'job-1-retry');
    expect(resumed).toMatchObject({ turnId: dead!.turnId, attempt: 2 });

    const after = await newConversation();
    await post(after, 'q');
    const talker = await claim(after);
    await t((tx) => recordOutput(tx, talker!, 0, 'partial answer sent before the crash'));
    expect(await claim(after, 'job-1-retry')).toBeNull(); // nothing new: the range counts as processed
    const s = await state(after);
    expect(s.cursor.processed_seq).toBe(2); // the question and the partial answer
    expect(s.turns[0]).toMatchObject({ status: 'failed', output_sent: true });
    expect(s.messages.filter((m) => m.role === 'assistant')).toHaveLength(1);
  });

  it('writes each output once, whatever is replayed', async () => {
    const id = await newConversation();
    await post(id, 'q');
    const turn = await claim(id);
    const a = await t((tx) => recordOutput(tx, turn!, 0, 'progress'));
    const b = await t((tx) => recordOutput(tx, turn!, 0, 'progress'));
    expect(b).toEqual(a);
    const events = async () =>
      (
        await t((tx) =>
          tx.client.query(
            `SELECT 1 FROM events WHERE conversation_id = $1 AND type = 'message.created' AND payload->>'role' = 'assistant'`,
            [id],
          ),
        )
      ).rows;
    await t((tx) => commitTurn(tx, turn!, { ...ok, finalText: 'done' }));
    expect((await state(id)).messages.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual(['progress', 'done']);
    expect(await events()).toHaveLength(2); // one per stored output, none for the replay
  });

  it('keeps the usage the proxy metered: what the runner reports (here a forged 0/0) is not written', async () => {
    const id = await newConversation();
    await post(id, 'q');
    const turn = await claim(id);
    await t((tx) => addTurnUsage(tx, turn!.turnId, { inputTokens: 120, outputTokens: 30 }));
    await t((tx) => addTurnUsage(tx, turn!.turnId, { inputTokens: 200, outputTokens: 45 }));
    const forged = { ...ok, finalText: 'done', usage: { inputTokens: 0, outputTokens: 0 } };
    await t((tx) => commitTurn(tx, turn!, forged));
    const usage = await t(async (tx) => (await tx.client.query('SELECT usage FROM turns WHERE id = $1', [turn!.turnId])).rows[0].usage);
    expect(usage).toEqual({ inputTokens: 320, outputTokens: 75 });
  });

  it('error after output: advances, no retry; retries exhausted: failed and advanced', async () => {
    const id = await newConversation();
    await post(id, 'q');
    const turn = await claim(id);
    await t((tx) => recordOutput(tx, turn!, 0, 'sent'));
    expect(await t((tx) => failTurn(tx, turn!, { kind: 'sandbox_error', message: 'sandbox crashed' }, false))).toBe('advanced');
    expect((await state(id)).cursor.processed_seq).toBe(1);

    const other = await newConversation();
    await post(other, 'poison');
    const p = await claim(other);
    expect(await t((tx) => failTurn(tx, p!, { kind: 'runner_error', message: 'always fails' }, true))).toBe('dead');
    const s = await state(other);
    expect(s.turns[0]).toMatchObject({ status: 'failed' });
    expect(s.cursor.processed_seq).toBe(1);
  });
});
