import type { ChildProcess } from 'node:child_process';
import { stripInternalTags } from '@warren/conversations';
import { provisionTenant } from '@warren/tenancy';
import { type ModelStack, openEventStream, startModelStack } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiProcess, eventually, spawnApi, spawnWorker, stopProcess } from './helpers.ts';

// The whole path with real processes: API → Postgres queue → worker → bubblewrap sandbox →
// credential proxy → fake Messages API → reply readable through the API.

let stack: ModelStack;
let api: ApiProcess;
let worker: ChildProcess;
let key: string;

const call = (method: string, path: string, body?: unknown, as = key) => api.call(method, path, as, body);

beforeAll(async () => {
  stack = await startModelStack();
  key = (await provisionTenant(stack.db.pool, { name: 'e2e' })).apiKey.key;
  worker = spawnWorker(stack, 'sandboxes', { MODEL: 'claude-e2e' });
  api = await spawnApi(stack);
}, 60_000);

afterAll(async () => {
  for (const child of [api?.process, worker]) if (child) await stopProcess(child, 'SIGTERM');
  await stack.close();
});

describe('end to end', () => {
  it('answers a message: the model asks for bash, the sandbox runs it, the reply comes back through the API', async () => {
    const conv = (await call('POST', '/v1/conversations', {})).body;
    const posted = await call('POST', `/v1/conversations/${conv.id}/messages`, {
      content: '#fake tool bash {"command":"echo 6x7=$((6*7))"}',
    });
    expect(posted.status).toBe(201);
    const page = await eventually(
      () => call('GET', `/v1/conversations/${conv.id}/messages`),
      (r) => r.body.data.some((m: { role: string }) => m.role === 'assistant'),
    );
    const reply = page.body.data.find((m: { role: string }) => m.role === 'assistant');
    expect(reply).toMatchObject({ seq: 2, turnId: expect.stringMatching(/^turn_/) });
    expect(reply.content).toContain('6x7=42');

    const turns = (await call('GET', `/v1/conversations/${conv.id}/turns`)).body.data;
    expect(turns).toEqual([
      expect.objectContaining({ id: reply.turnId, status: 'succeeded', covered: { afterSeq: 0, throughSeq: 1 }, outputSent: true }),
    ]);
    // the turn's usage is the proxy's metering of its calls (here the tenant's only ones), not the runner's report
    const metered = await eventually(
      () => stack.db.pool.query('SELECT sum(input_tokens)::int AS input, sum(output_tokens)::int AS output FROM control.usage'),
      (r) => r.rows[0].input === turns[0].usage?.inputTokens && r.rows[0].output === turns[0].usage?.outputTokens, // flushed in batches
    );
    expect(metered.rows[0].input).toBeGreaterThan(0);
    expect(turns[0].usage).toEqual({ inputTokens: metered.rows[0].input, outputTokens: metered.rows[0].output });
    expect((await call('GET', `/v1/turns/${reply.turnId}`)).body.id).toBe(reply.turnId);
  });

  it('streams the turn as it happens: the message, the turn starting, the reply, the turn done', async () => {
    const conv = (await call('POST', '/v1/conversations', {})).body;
    const stream = openEventStream(`${api.base}/v1/conversations/${conv.id}/events`, key);
    expect(await stream.status).toBe(200);
    const posted = (await call('POST', `/v1/conversations/${conv.id}/messages`, { content: 'hello' })).body;
    await vi.waitFor(() => expect(stream.events.map((e) => e.type)).toContain('turn.succeeded'), { timeout: 60_000, interval: 50 });
    stream.close();
    const reply = (await call('GET', `/v1/conversations/${conv.id}/messages`)).body.data.find(
      (m: { role: string }) => m.role === 'assistant',
    );
    expect(stream.events.map((e) => [e.type, e.data.data.messageId ?? e.data.data.turnId])).toEqual([
      ['message.created', posted.id],
      ['turn.started', reply.turnId],
      ['message.created', reply.id],
      ['turn.succeeded', reply.turnId],
    ]);
    expect(stream.events[2]!.data.data).toMatchObject({ role: 'assistant', content: reply.content, seq: 2 });
  });

  it('streams the reply as it is written: message.delta chunks of the raw text, in order, before its message.created; a resume replays none', async () => {
    const conv = (await call('POST', '/v1/conversations', {})).body;
    const stream = openEventStream(`${api.base}/v1/conversations/${conv.id}/events`, key);
    const elsewhere = (await call('POST', '/v1/conversations', {})).body;
    const otherStream = openEventStream(`${api.base}/v1/conversations/${elsewhere.id}/events`, key);
    const tenantStream = openEventStream(`${api.base}/v1/events`, key);
    for (const s of [stream, otherStream, tenantStream]) expect(await s.status).toBe(200);
    // a reply longer than one delta may carry, paced like a model writing
    const content = '#fake pace 2\n#fake text <internal>plan first</internal>Here it is:\n#fake long 3000';
    const posted = (await call('POST', `/v1/conversations/${conv.id}/messages`, { content })).body;
    await vi.waitFor(() => expect(stream.events.map((e) => e.type)).toContain('turn.succeeded'), { timeout: 60_000, interval: 50 });
    for (const s of [stream, otherStream, tenantStream]) s.close();
    const reply = (await call('GET', `/v1/conversations/${conv.id}/messages`)).body.data.find(
      (m: { role: string }) => m.role === 'assistant',
    );
    // the tenant's stream has them too; another conversation's has none
    const deltaTexts = (s: typeof stream) => s.received.filter((e) => e.type === 'message.delta').map((e) => e.data.data.text);
    expect(deltaTexts(tenantStream)).toEqual(deltaTexts(stream));
    expect(otherStream.received).toEqual([]);

    const deltas = stream.received.filter((e) => e.type === 'message.delta');
    expect(deltas.length).toBeGreaterThan(1);
    for (const delta of deltas) {
      expect(delta.id).toBeUndefined();
      expect(delta.data).toMatchObject({ type: 'message.delta', conversationId: conv.id, data: { turnId: reply.turnId, attempt: 1 } });
    }
    expect(deltas.map((d) => d.data.data.index)).toEqual(deltas.map((_, i) => i));
    // the raw model text: the stored reply is the same with <internal> stripped
    const raw = deltas.map((d) => d.data.data.text).join('');
    expect(raw.startsWith('<internal>plan first</internal>Here it is:\n')).toBe(true);
    expect(stripInternalTags(raw)).toBe(reply.content);
    const replyCreated = stream.received.findIndex((e) => e.type === 'message.created' && e.data.data.messageId === reply.id);
    expect(stream.received.findLastIndex((e) => e.type === 'message.delta')).toBeLessThan(replyCreated);

    // resumed after the user's message: the turn's durable events again, no delta
    const userEvent = stream.events.find((e) => e.type === 'message.created' && e.data.data.messageId === posted.id)!;
    const resumed = openEventStream(`${api.base}/v1/conversations/${conv.id}/events`, key, userEvent.id);
    await vi.waitFor(() => expect(resumed.events.map((e) => e.type)).toContain('turn.succeeded'), { timeout: 30_000, interval: 50 });
    resumed.close();
    expect(resumed.received.map((e) => e.type)).toEqual(['turn.started', 'message.created', 'turn.succeeded']);
  });

  it('accumulates context: three messages, only the third triggers, the model sees all three', async () => {
    const conv = (await call('POST', '/v1/conversations', { assistantName: 'Andy', trigger: { mode: 'mention' } })).body;
    stack.fake.reset();
    for (const content of ['The build is broken', 'Yeah, the tests fail too', '@Andy can you help debug?']) {
      await call('POST', `/v1/conversations/${conv.id}/messages`, { content });
    }
    await eventually(
      () => call('GET', `/v1/conversations/${conv.id}/messages`),
      (r) => r.body.data.some((m: { role: string }) => m.role === 'assistant'),
    );
    expect(stack.fake.requests).toHaveLength(1);
    const sent = JSON.stringify(stack.fake.requests[0]!.body);
    for (const text of ['The build is broken', 'Yeah, the tests fail too', '@Andy can you help debug?']) expect(sent).toContain(text);
  });

  it('a turn that writes past its output quota ends failed with the reason, and the conversation goes on', async () => {
    const tight = (await provisionTenant(stack.db.pool, { name: 'e2e-quota', turnMaxOutputs: 2, turnMaxOutputBytes: 2000 })).apiKey.key;
    const assistantMessages = async (id: string) =>
      (await call('GET', `/v1/conversations/${id}/messages`, undefined, tight)).body.data.filter(
        (m: { role: string }) => m.role === 'assistant',
      );
    const failedTurn = async (id: string) => {
      const turns = await eventually(
        () => call('GET', `/v1/conversations/${id}/turns`, undefined, tight),
        (r) => r.body.data[0]?.status === 'failed',
      );
      return turns.body.data[0];
    };

    // four send_message calls against a limit of two: two are stored, then the turn ends
    const chatty = (await call('POST', '/v1/conversations', {}, tight)).body;
    const sends = [1, 2, 3, 4].map((n) => `#fake tool send_message {"text":"part ${n}"}`).join('\n');
    await call('POST', `/v1/conversations/${chatty.id}/messages`, { content: sends }, tight);
    expect((await failedTurn(chatty.id)).error).toEqual({
      kind: 'output_quota',
      message: 'the turn tried to send more than its limit of 2 messages',
    });
    const stored = (await assistantMessages(chatty.id)).map((m: { content: string }) => m.content);
    expect(stored).toEqual(['part 1', 'part 2']);

    // a final reply over the byte limit is not stored
    const verbose = (await call('POST', '/v1/conversations', {}, tight)).body;
    await call('POST', `/v1/conversations/${verbose.id}/messages`, { content: '#fake long 5000' }, tight);
    expect((await failedTurn(verbose.id)).error).toEqual({
      kind: 'output_quota',
      message: "the turn's output exceeded its limit of 2000 bytes",
    });
    expect(await assistantMessages(verbose.id)).toEqual([]);

    // the quota ends one turn, not the conversation
    await call('POST', `/v1/conversations/${chatty.id}/messages`, { content: 'still there?' }, tight);
    const answered = await eventually(
      () => assistantMessages(chatty.id),
      (messages) => messages.length === 3,
    );
    expect(answered.map((m: { content: string }) => m.content)).toEqual([...stored, expect.stringContaining('still there?')]);
  });
  it('a turn that fills its workspace quota ends failed with the reason, and a turn that frees it goes on', async () => {
    const small = (await provisionTenant(stack.db.pool, { name: 'e2e-workspace', workspaceBytes: 32 * 1024 * 1024 })).apiKey.key;
    const conv = (await call('POST', '/v1/conversations', {}, small)).body;
    const bash = (command: string) =>
      call('POST', `/v1/conversations/${conv.id}/messages`, { content: `#fake tool bash ${JSON.stringify({ command })}` }, small);
    const turns = (n: number) =>
      eventually(
        () => call('GET', `/v1/conversations/${conv.id}/turns`, undefined, small),
        (r) => r.body.data.length === n && r.body.data.every((t: { status: string }) => t.status === 'succeeded' || t.status === 'failed'),
      );
    await bash('head -c 40000000 /dev/zero > big; echo wrote');
    const [filled] = (await turns(1)).body.data;
    expect(filled).toMatchObject({
      status: 'failed',
      error: { kind: 'workspace_quota', message: expect.stringContaining('No space left on device') },
    });
    await bash('rm big; echo freed');
    const after = (await turns(2)).body.data;
    expect(after.map((t: { status: string }) => t.status).sort()).toEqual(['failed', 'succeeded']);
  });
});
