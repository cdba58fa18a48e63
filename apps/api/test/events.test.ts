import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { appendUserMessage } from '@warren/conversations';
import { freePort, withTenant } from '@warren/db';
import { type EventStreamClient, openEventStream } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

const MAX_STREAMS = 50;
let h: ApiHarness;
let base: string;
let tenant: { id: string; key: string };

beforeAll(async () => {
  h = await startApiHarness({ SSE_MAX_STREAMS_PER_KEY: MAX_STREAMS, SSE_MAX_BUFFER_BYTES: 256 * 1024 });
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  tenant = await h.tenant('streams');
});
afterAll(() => h.close());

const newConversation = async () =>
  (await h.call(tenant.key, 'POST', '/v1/conversations', { trigger: { mode: 'never' } })).json().id as string;
const post = async (conv: string, content: string) => {
  const res = await h.call(tenant.key, 'POST', `/v1/conversations/${conv}/messages`, { content });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
};
const messageIds = (s: EventStreamClient) => s.events.filter((e) => e.type === 'message.created').map((e) => e.data.data.messageId);
const waitForCount = (s: EventStreamClient, n: number) =>
  vi.waitFor(() => expect(messageIds(s).length).toBeGreaterThanOrEqual(n), { timeout: 30_000, interval: 20 });

/** A real API process on the test database, on a free port; resolves once it is ready. */
async function apiProcess(): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('../src/main.ts', import.meta.url))], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'error', DATABASE_URL: h.db.url, OPS_TOKEN, PORT: String(port) },
    stdio: 'inherit',
  });
  const url = `http://127.0.0.1:${port}`;
  await vi.waitFor(
    async () => {
      if (!(await fetch(`${url}/readyz`)).ok) throw new Error('API not ready');
    },
    { timeout: 60_000, interval: 100 },
  );
  return { child, base: url };
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

describe('event streams', () => {
  it('streams user messages of a conversation with durable ids, and 404s for a conversation that is not there', async () => {
    const conv = await newConversation();
    const stream = openEventStream(`${base}/v1/conversations/${conv}/events`, tenant.key);
    expect(await stream.status).toBe(200);
    const id = await post(conv, 'hello');
    await waitForCount(stream, 1);
    expect(stream.events[0]).toMatchObject({
      type: 'message.created',
      data: { conversationId: conv, data: { messageId: id, role: 'user' } },
    });
    stream.close();
    const missing = await h.call(tenant.key, 'GET', '/v1/conversations/conv_01h2xcejqtf2nbrexx3vqjhp41/events');
    expect(missing.statusCode).toBe(404);
    for (const lastEventId of ['999999999', 'abc', '0', '-1', '1'.repeat(40)]) {
      const badResume = await h.call(tenant.key, 'GET', '/v1/events', undefined, { 'last-event-id': lastEventId });
      expect(badResume.statusCode).toBe(400);
      expect(badResume.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await h.call(tenant.key, 'GET', '/v1/conversations/not-an-id/events')).statusCode).toBe(400);
    expect((await h.call('wrn_nope', 'GET', '/v1/events')).statusCode).toBe(401);
  });

  it('starts a stream without Last-Event-ID at now, also when the tenant already has streams open', async () => {
    const conv = await newConversation();
    const first = openEventStream(`${base}/v1/conversations/${conv}/events`, tenant.key);
    expect(await first.status).toBe(200);
    const before = await post(conv, 'before the second stream');
    await waitForCount(first, 1);
    const second = openEventStream(`${base}/v1/conversations/${conv}/events`, tenant.key);
    expect(await second.status).toBe(200);
    // committed once the second stream's headers came: it must see this, and not what came before
    const after = await post(conv, 'after the second stream');
    await waitForCount(first, 2);
    await waitForCount(second, 1);
    first.close();
    second.close();
    expect(messageIds(first)).toEqual([before, after]);
    expect(messageIds(second)).toEqual([after]);
  });

  it('resumes with Last-Event-ID around an API process restart (SIGKILL): every event once', async () => {
    const conv = await newConversation();
    const before = await apiProcess();
    const first = openEventStream(`${before.base}/v1/events`, tenant.key);
    expect(await first.status).toBe(200);
    const posted: string[] = [];
    for (let i = 0; i < 10; i++) posted.push(await post(conv, `before ${i}`));
    await waitForCount(first, 10);
    await killed(before.child);
    await first.ended;
    expect(first.cutOff).toBe(true);
    for (let i = 0; i < 10; i++) posted.push(await post(conv, `between ${i}`)); // no stream of this client is open
    const after = await apiProcess();
    try {
      const second = openEventStream(`${after.base}/v1/events`, tenant.key, first.events.at(-1)!.id);
      expect(await second.status).toBe(200);
      for (let i = 0; i < 5; i++) posted.push(await post(conv, `after ${i}`));
      await waitForCount(second, 15);
      expect([...messageIds(first), ...messageIds(second)]).toEqual(posted);
      second.close();
    } finally {
      await killed(after.child);
    }
  });

  it('does not skip an event whose transaction commits after a later one', async () => {
    const [slowConv, fastConv] = [await newConversation(), await newConversation()];
    const stream = openEventStream(`${base}/v1/events`, tenant.key);
    expect(await stream.status).toBe(200);
    const first = await post(fastConv, 'first');
    await waitForCount(stream, 1);
    // A transaction takes its event id, then commits only after a later message did.
    let commit: () => void = () => {};
    const committed = new Promise<void>((r) => {
      commit = r;
    });
    let taken: () => void = () => {};
    const idTaken = new Promise<void>((r) => {
      taken = r;
    });
    const slow = withTenant(h.db.pool, tenant.id, async (tx) => {
      const { message } = await appendUserMessage(tx, slowConv, { content: 'slow' });
      taken();
      await committed;
      return message.id;
    });
    await idTaken;
    const later = await post(fastConv, 'later');
    await new Promise((r) => setTimeout(r, 300)); // time for a stream that reads by id alone to pass the slow one
    stream.close();
    await stream.ended;
    commit();
    const slowId = await slow;
    const resumed = openEventStream(`${base}/v1/events`, tenant.key, stream.events.at(-1)!.id);
    await waitForCount(resumed, 3 - messageIds(stream).length);
    const seen = [...messageIds(stream), ...messageIds(resumed)];
    expect(seen.toSorted()).toEqual([first, slowId, later].toSorted());
    resumed.close();
  });

  // The streams may be cut off as slow (256 KiB buffered) and resume, as EventSource does.
  it('1,000 events over 50 streams: none missing, none doubled', async () => {
    const convs = await Promise.all(Array.from({ length: 10 }, newConversation));
    const key = (await h.call(tenant.key, 'POST', '/v1/api-keys', { name: 'fifty streams' })).json().key; // its own stream cap
    const streams = Array.from({ length: MAX_STREAMS }, (_, i) =>
      i % 2 === 0
        ? { conv: undefined, s: openEventStream(`${base}/v1/events`, key, undefined, { reconnect: true }) }
        : {
            conv: convs[i % convs.length],
            s: openEventStream(`${base}/v1/conversations/${convs[i % convs.length]}/events`, key, undefined, { reconnect: true }),
          },
    );
    for (const { s } of streams) expect(await s.status).toBe(200);
    const over = await h.call(key, 'GET', '/v1/events');
    expect(over.statusCode).toBe(429); // the cap on open streams per key
    expect(over.json().type).toBe('urn:warren:problem:stream-quota-exceeded');

    const posted = new Map<string, string>(); // message id -> conversation
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 1000) {
          const n = next++;
          const conv = convs[n % convs.length]!;
          posted.set(await post(conv, `m${n}`), conv);
        }
      }),
    );
    for (const { conv, s } of streams) {
      const expected = [...posted].filter(([, c]) => conv === undefined || c === conv).map(([id]) => id);
      await waitForCount(s, expected.length);
      const got = messageIds(s);
      expect(got.length).toBe(expected.length);
      expect(new Set(got)).toEqual(new Set(expected));
      // within a conversation, in seq order
      const seqs = s.events.filter((e) => e.data.conversationId === convs[0]).map((e) => e.data.data.seq);
      expect(seqs).toEqual(seqs.toSorted((a, b) => a - b));
      s.close();
    }
    console.info(`1,000 events over 50 streams: ${streams.reduce((n, { s }) => n + s.reconnects, 0)} resumes after a cut-off`);
  });

  it('cuts off a client that does not read; one that reads (and resumes when cut) gets everything', async () => {
    const conv = await newConversation();
    const reader = openEventStream(`${base}/v1/conversations/${conv}/events`, tenant.key, undefined, { reconnect: true });
    expect(await reader.status).toBe(200);
    const { port } = new URL(base);
    const stalled = connect(Number(port), '127.0.0.1');
    stalled.write(`GET /v1/conversations/${conv}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tenant.key}\r\n\r\n`);
    await new Promise((r) => stalled.once('data', r));
    stalled.pause();
    let received = '';
    stalled.on('data', (chunk) => {
      received += chunk.toString();
    });
    const closed = new Promise((r) => stalled.once('close', r));
    stalled.on('error', (err) => expect((err as NodeJS.ErrnoException).code).toBe('ECONNRESET'));
    const big = 'x'.repeat(60_000);
    for (let i = 0; i < 80; i++) await post(conv, big);
    await waitForCount(reader, 80);
    stalled.resume();
    await closed;
    expect(received.split('\nid: ').length - 1).toBeLessThan(80);
    reader.close();
  });
});
