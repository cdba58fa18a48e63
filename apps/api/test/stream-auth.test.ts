import { openEventStream } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

// An open event stream is held to the same rule as every request: when its key is revoked, its
// tenant suspended or its dashboard session signed out, it ends (within a heartbeat).

let h: ApiHarness;
let base: string;

beforeAll(async () => {
  h = await startApiHarness({ SSE_HEARTBEAT_SECONDS: 1 });
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => h.close());

const ended = (done: Promise<void>) =>
  vi.waitFor(
    async () => {
      const settled = await Promise.race([done.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]);
      expect(settled).toBe(true);
    },
    { timeout: 10_000, interval: 10 },
  );

describe('event streams and revoked credentials', () => {
  it('ends a stream whose API key is revoked, and only that one', async () => {
    const t = await h.tenant('revoked');
    const second = (await h.call(t.key, 'POST', '/v1/api-keys', { name: 'second' })).json();
    const doomed = openEventStream(`${base}/v1/events`, second.key);
    const kept = openEventStream(`${base}/v1/events`, t.key);
    expect(await doomed.status).toBe(200);
    expect(await kept.status).toBe(200);
    expect((await h.call(t.key, 'DELETE', `/v1/api-keys/${second.id}`)).statusCode).toBe(204);
    await ended(doomed.ended);
    // the other key's stream goes on: it still receives what happens
    const conv = (await h.call(t.key, 'POST', '/v1/conversations', { trigger: { mode: 'never' } })).json().id;
    await h.call(t.key, 'POST', `/v1/conversations/${conv}/messages`, { content: 'still here' });
    await vi.waitFor(() => expect(kept.events.map((e) => e.type)).toContain('message.created'), { timeout: 10_000 });
    kept.close();
  });

  it("ends a suspended tenant's streams", async () => {
    const t = await h.tenant('suspended');
    const stream = openEventStream(`${base}/v1/events`, t.key);
    expect(await stream.status).toBe(200);
    expect((await h.call(OPS_TOKEN, 'POST', `/v1/admin/tenants/${t.id}/suspend`)).statusCode).toBe(200);
    await ended(stream.ended);
  });

  it('ends a dashboard session stream when the session signs out', async () => {
    const t = await h.tenant('signed-out');
    const signIn = await h.app.inject({ method: 'POST', url: '/v1/dashboard/session', payload: { apiKey: t.key } });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    const res = await fetch(`${base}/v1/events`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const done = (async () => {
      for await (const _ of res.body!) {
        // heartbeats, until the server ends the stream
      }
    })();
    const out = await h.app.inject({
      method: 'DELETE',
      url: '/v1/dashboard/session',
      headers: { cookie, 'x-csrf-token': signIn.json().csrfToken },
    });
    expect(out.statusCode).toBe(204);
    await ended(done);
  });
});
