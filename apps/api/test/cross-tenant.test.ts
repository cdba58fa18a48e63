import { withTenant } from '@warren/db';
import { claimTurn } from '@warren/turns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from './harness.ts';

// Tenant A's key used with tenant B's ids: every tenant route must answer 404 and never
// return or change anything of B's.

let h: ApiHarness;
let a: { id: string; key: string };
let b: { id: string; key: string };
let bConv: string;
let bKeyId: string;
let bTurn: string;

beforeAll(async () => {
  h = await startApiHarness();
  a = await h.tenant('A');
  b = await h.tenant('B');
  bConv = (await h.call(b.key, 'POST', '/v1/conversations', { externalId: 'b-ext', title: 'B only' })).json().id;
  await h.call(b.key, 'POST', `/v1/conversations/${bConv}/messages`, { content: 'B secret message' });
  bKeyId = (await h.call(b.key, 'POST', '/v1/api-keys', { name: 'b-second' })).json().id;
  // a turn of B's, as a worker would have claimed it
  bTurn = await withTenant(
    h.db.pool,
    b.id,
    async (tx) => (await claimTurn(tx, { conversationId: bConv, jobId: 'job', kind: 'message' }))!.turnId,
  );
});
afterAll(() => h.close());

describe("tenant A's key with tenant B's ids", () => {
  const routes: Array<[string, () => string, unknown?]> = [
    ['GET', () => `/v1/conversations/${bConv}`],
    ['PATCH', () => `/v1/conversations/${bConv}`, { title: 'hijacked' }],
    ['GET', () => `/v1/conversations/${bConv}/messages`],
    ['GET', () => `/v1/conversations/${bConv}/messages?after=0&limit=10`],
    ['POST', () => `/v1/conversations/${bConv}/messages`, { content: 'injected' }],
    ['DELETE', () => `/v1/api-keys/${bKeyId}`],
    ['GET', () => `/v1/conversations/${bConv}/turns`],
    ['GET', () => `/v1/turns/${bTurn}`],
    ['GET', () => `/v1/conversations/${bConv}/events`],
  ];

  it.each(routes)('%s %s answers 404 problem+json', async (method, url, body) => {
    const res = await h.call(a.key, method, url(), body);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).not.toContain('B secret');
    expect(res.body).not.toContain('B only');
  });

  it("refuses to resume A's stream from B's event id", async () => {
    const bEvent = await withTenant(
      h.db.pool,
      b.id,
      async (tx) => (await tx.client.query('SELECT max(id)::int AS id FROM events')).rows[0].id,
    );
    const aEvents = await withTenant(
      h.db.pool,
      a.id,
      async (tx) => (await tx.client.query('SELECT count(*)::int AS n FROM events')).rows[0].n,
    );
    expect(aEvents).toBe(0); // so B's id names no event of A's
    const res = await h.call(a.key, 'GET', '/v1/events', undefined, { 'last-event-id': String(bEvent) });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('B secret');
  });

  it('lists and lookups by external id show only A', async () => {
    const list = (await h.call(a.key, 'GET', '/v1/conversations')).json();
    expect(list.data).toEqual([]);
    const byExt = (await h.call(a.key, 'GET', '/v1/conversations?externalId=b-ext')).json();
    expect(byExt.data).toEqual([]);
    const keys = (await h.call(a.key, 'GET', '/v1/api-keys')).json().data;
    expect(keys.map((k: { id: string }) => k.id)).not.toContain(bKeyId);
  });

  it("left B's data untouched", async () => {
    expect((await h.call(b.key, 'GET', `/v1/conversations/${bConv}`)).json().title).toBe('B only');
    const msgs = (await h.call(b.key, 'GET', `/v1/conversations/${bConv}/messages`)).json().data;
    expect(msgs.map((m: { content: string }) => m.content)).toEqual(['B secret message']);
    const keys = (await h.call(b.key, 'GET', '/v1/api-keys')).json().data;
    expect(keys.find((k: { id: string }) => k.id === bKeyId).revokedAt).toBeNull();
  });

  it('probes every tenant route that takes an id', async () => {
    const spec = (await h.app.inject('/docs/json')).json() as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(spec.paths)
      .filter(([path]) => path.includes('{id}') && !path.startsWith('/v1/admin/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const probed = routes.map(
      ([m, url]) =>
        `${m} ${url()
          .split('?')[0]!
          .replace(/(conv|key|turn)_[0-9a-z]{26}/, '{id}')}`,
    );
    expect(served.length).toBeGreaterThan(4);
    for (const route of served) expect(probed).toContain(route);
  });
});
