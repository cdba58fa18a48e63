import { once } from 'node:events';
import { connect } from 'node:net';
import { streamEvents } from '@warren/client';
import { describe, expect, it, vi } from 'vitest';
import { startApiHarness } from './harness.ts';

// packages/client's SSE reader against the real GET /v1/events, and an API process stopping
// while clients hold connections to it: streams read and aborted, streams aborted while they
// start, a connection that never sent a request. Node's server.close() leaves that last kind
// open (it is not "idle" to closeIdleConnections), and a fetch aborted early leaves one in its
// keep-alive pool for as long as the server's Keep-Alive hint (~70 s): the close used to wait
// for it. The test's own timeout is what catches a close that waits.

describe('streamEvents against GET /v1/events', () => {
  it('receives durable events, aborts, and the API then stops promptly', { timeout: 30_000 }, async () => {
    const h = await startApiHarness();
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { key } = await h.tenant('client-stream');
    const conv = (await h.call(key, 'POST', '/v1/conversations', { trigger: { mode: 'never' } })).json().id as string;

    const stop = new AbortController();
    const received: Array<{ event: string; id: string; messageId: string }> = [];
    const reading = (async () => {
      for await (const event of streamEvents({ url: `${base}/v1/events`, apiKey: key, signal: stop.signal })) {
        received.push({ event: event.event, id: event.lastEventId, messageId: JSON.parse(event.data).data.messageId });
        if (received.length === 2) stop.abort();
      }
    })();
    // the stream follows from when it subscribed: post until the reader has had two events
    const posted: string[] = [];
    await vi.waitFor(
      async () => {
        const res = await h.call(key, 'POST', `/v1/conversations/${conv}/messages`, { content: `m${posted.length}` });
        posted.push(res.json().id as string);
        expect(received.length).toBe(2);
      },
      { timeout: 10_000, interval: 100 },
    );
    await reading;
    expect(received.map((r) => r.event)).toEqual(['message.created', 'message.created']);
    expect(posted).toEqual(expect.arrayContaining(received.map((r) => r.messageId)));
    expect(Number(received[1]!.id)).toBeGreaterThan(Number(received[0]!.id));

    // streams aborted while they start: some before their request went out, on a connection already made
    for (let i = 0; i < 20; i++) {
      const early = new AbortController();
      setTimeout(() => early.abort(), i % 5);
      for await (const _ of streamEvents({ url: `${base}/v1/events`, apiKey: key, signal: early.signal })) break;
    }
    // a stream left open, and a connection that never sends a request
    const left = new AbortController();
    const open = streamEvents({ url: `${base}/v1/events`, apiKey: key, signal: left.signal }).next();
    const silent = connect(Number(new URL(base).port), '127.0.0.1');
    await once(silent, 'connect');
    const silentClosed = once(silent, 'close');

    await h.close();
    await silentClosed; // by the server
    left.abort();
    expect(await open).toEqual({ done: true, value: undefined });
  });
});
