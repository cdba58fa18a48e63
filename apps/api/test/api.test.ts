import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

let h: ApiHarness;

/** Polls `probe` until it returns `want` or 5 s pass; returns the last value seen. */
async function eventually<T>(probe: () => Promise<T>, want: T): Promise<T> {
  const deadline = Date.now() + 5000;
  let last = await probe();
  while (last !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    last = await probe();
  }
  return last;
}
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h.close());

describe('conversations and messages', () => {
  it('creates a conversation, posts messages with consecutive seqs, pages through them', async () => {
    const warren = await h.client((await h.tenant()).key);
    const conv = await warren.POST('/v1/conversations', { body: { externalId: 'chat-1', title: 'Support', trigger: { mode: 'mention' } } });
    expect(conv.response.status).toBe(201);
    const id = conv.data!.id;
    expect(id).toMatch(/^conv_/);
    expect(conv.data!.trigger).toEqual({ mode: 'mention', pattern: null });

    const posted = [];
    for (let i = 1; i <= 5; i++) {
      const res = await warren.POST('/v1/conversations/{id}/messages', {
        params: { path: { id } },
        body: { content: `m${i}`, sender: 'ann' },
      });
      expect(res.response.status).toBe(201);
      posted.push(res.data!);
    }
    expect(posted.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);

    const read = (query: { after?: number; limit?: number }) =>
      warren.GET('/v1/conversations/{id}/messages', { params: { path: { id }, query } }).then((r) => r.data!);
    const page1 = await read({ limit: 2 });
    expect(page1.data.map((m) => m.content)).toEqual(['m1', 'm2']);
    expect(page1.next).toBe(2);
    const page3 = await read({ after: 4, limit: 2 });
    expect(page3.data.map((m) => m.seq)).toEqual([5]);
    expect(page3.next).toBeNull();
    expect(await read({ after: 5 })).toEqual({ data: [], next: null });
  });

  it('keeps seqs gap-free under concurrent posts', async () => {
    const t = await h.tenant();
    const { id } = (await h.call(t.key, 'POST', '/v1/conversations', {})).json();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => h.call(t.key, 'POST', `/v1/conversations/${id}/messages`, { content: `c${i}` })),
    );
    expect(results.every((r) => r.statusCode === 201)).toBe(true);
    expect(results.map((r) => r.json().seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect((await h.call(t.key, 'GET', `/v1/conversations/${id}`)).json().lastSeq).toBe(30);
  });

  it('lists, finds by externalId, and updates conversations; externalId is unique per tenant', async () => {
    const t = await h.tenant();
    const other = await h.tenant();
    const ids = [];
    for (const ext of ['a', 'b', 'c']) ids.push((await h.call(t.key, 'POST', '/v1/conversations', { externalId: ext })).json().id);
    const dup = await h.call(t.key, 'POST', '/v1/conversations', { externalId: 'a' });
    expect(dup.statusCode).toBe(409);
    expect(dup.headers['content-type']).toMatch(/^application\/problem\+json/);
    // the same external id in another tenant is fine
    expect((await h.call(other.key, 'POST', '/v1/conversations', { externalId: 'a' })).statusCode).toBe(201);

    const first = (await h.call(t.key, 'GET', '/v1/conversations?limit=2')).json();
    expect(first.data.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 2));
    const second = (await h.call(t.key, 'GET', `/v1/conversations?after=${first.next}`)).json();
    expect(second.data.map((c: { id: string }) => c.id)).toEqual([ids[2]]);
    expect(second.next).toBeNull();
    expect((await h.call(t.key, 'GET', '/v1/conversations?externalId=b')).json().data[0].id).toBe(ids[1]);

    const patched = await h.call(t.key, 'PATCH', `/v1/conversations/${ids[0]}`, {
      title: 'renamed',
      assistantName: 'Andy',
      trigger: { mode: 'mention', pattern: '\\bandy\\b' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ title: 'renamed', assistantName: 'Andy', trigger: { mode: 'mention', pattern: '\\bandy\\b' } });
    expect((await h.call(t.key, 'PATCH', `/v1/conversations/${ids[0]}`, { externalId: 'b' })).statusCode).toBe(409);
  });
});

describe('Idempotency-Key', () => {
  it('returns the first response for the same key and body, 409 for another body', async () => {
    const warren = await h.client((await h.tenant()).key);
    const { id } = (await warren.POST('/v1/conversations', { body: {} })).data!;
    const post = (content: string) =>
      warren.POST('/v1/conversations/{id}/messages', {
        params: { path: { id }, header: { 'idempotency-key': 'retry-1' } },
        body: { content },
      });
    const first = await post('hello');
    const again = await post('hello');
    expect(first.response.status).toBe(201);
    expect(again.response.status).toBe(201);
    expect(again.data).toEqual(first.data);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');

    const other = await post('different');
    expect(other.response.status).toBe(409);
    expect(other.error?.type).toBe('urn:warren:problem:idempotency-mismatch');

    const list = await warren.GET('/v1/conversations/{id}/messages', { params: { path: { id }, query: {} } });
    expect(list.data!.data).toHaveLength(1);
  });

  it('stores one message when the same key races', async () => {
    const t = await h.tenant();
    const { id } = (await h.call(t.key, 'POST', '/v1/conversations', {})).json();
    const url = `/v1/conversations/${id}/messages`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => h.call(t.key, 'POST', url, { content: 'once' }, { 'idempotency-key': 'race' })),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
    expect((await h.call(t.key, 'GET', url)).json().data).toHaveLength(1);
  });

  it('scopes keys per tenant and per operation', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const headers = { 'idempotency-key': 'shared' };
    const ca = await h.call(a.key, 'POST', '/v1/conversations', {}, headers);
    const cb = await h.call(b.key, 'POST', '/v1/conversations', {}, headers);
    expect(ca.statusCode).toBe(201);
    expect(cb.statusCode).toBe(201);
    expect(cb.json().id).not.toBe(ca.json().id);
    const msg = await h.call(a.key, 'POST', `/v1/conversations/${ca.json().id}/messages`, { content: 'x' }, headers);
    expect(msg.statusCode).toBe(201);
  });
});

describe('API keys and tenant lifecycle', () => {
  it('creates several keys, shows each once, revokes one', async () => {
    const t = await h.tenant();
    const created = await h.call(t.key, 'POST', '/v1/api-keys', { name: 'ci' });
    expect(created.statusCode).toBe(201);
    const second = created.json();
    expect(second.key).toMatch(/^wrn_/);
    expect((await h.call(second.key, 'GET', '/v1/conversations')).statusCode).toBe(200);

    const listed = (await h.call(t.key, 'GET', '/v1/api-keys')).json().data;
    expect(listed).toHaveLength(2);
    expect(JSON.stringify(listed)).not.toContain(second.key);

    expect((await h.call(t.key, 'DELETE', `/v1/api-keys/${second.id}`)).statusCode).toBe(204);
    const revoked = await h.call(second.key, 'GET', '/v1/conversations');
    expect(revoked.statusCode).toBe(401);
    expect((await h.call(t.key, 'GET', '/v1/conversations')).statusCode).toBe(200);
  });

  it('suspends a tenant: its keys get 403 until resumed', async () => {
    const t = await h.tenant();
    const suspended = await h.call(OPS_TOKEN, 'POST', `/v1/admin/tenants/${t.id}/suspend`);
    expect(suspended.json().status).toBe('suspended');
    const denied = await h.call(t.key, 'GET', '/v1/conversations');
    expect(denied.statusCode).toBe(403);
    expect(denied.json().type).toBe('urn:warren:problem:tenant-suspended');
    await h.call(OPS_TOKEN, 'POST', `/v1/admin/tenants/${t.id}/resume`);
    expect((await h.call(t.key, 'GET', '/v1/conversations')).statusCode).toBe(200);
  });

  it('drops cached keys when another process revokes one or suspends the tenant (NOTIFY)', async () => {
    const t = await h.tenant();
    const second = (await h.call(t.key, 'POST', '/v1/api-keys', { name: 'elsewhere' })).json();
    expect((await h.call(second.key, 'GET', '/v1/conversations')).statusCode).toBe(200); // now cached
    // Another process (the CLI, psql) changes the control tables directly, not through this API.
    await h.db.pool.query('UPDATE control.api_keys SET revoked_at = now() WHERE id = $1', [second.id]);
    expect(await eventually(async () => (await h.call(second.key, 'GET', '/v1/conversations')).statusCode, 401)).toBe(401);
    expect((await h.call(t.key, 'GET', '/v1/conversations')).statusCode).toBe(200);
    await h.db.pool.query(`UPDATE control.tenants SET status = 'suspended' WHERE id = $1`, [t.id]);
    expect(await eventually(async () => (await h.call(t.key, 'GET', '/v1/conversations')).statusCode, 403)).toBe(403);
  });

  it("changes a tenant's limits for ops; null restores the default", async () => {
    const t = await h.tenant();
    const set = await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${t.id}`, { maxConcurrentTurns: 7, requestsPerMinute: 30 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ maxConcurrentTurns: 7, requestsPerMinute: 30, monthlyTokenBudget: null });
    const reset = await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${t.id}`, { maxConcurrentTurns: null });
    expect(reset.json()).toMatchObject({ maxConcurrentTurns: null, requestsPerMinute: 30 });
    expect((await h.call(OPS_TOKEN, 'GET', `/v1/admin/tenants/${t.id}`)).json()).toMatchObject({
      maxConcurrentTurns: null,
      requestsPerMinute: 30,
    });
    const missing = await h.call(OPS_TOKEN, 'PATCH', '/v1/admin/tenants/ten_01h2xcejqtf2nbrexx3vqjhp41', { maxConcurrentTurns: 2 });
    expect(missing.statusCode).toBe(404);
  });

  it('lists tenants for ops only', async () => {
    const t = await h.tenant('listed');
    const all = [];
    let after = '';
    for (;;) {
      const page = (await h.call(OPS_TOKEN, 'GET', `/v1/admin/tenants?limit=2${after ? `&after=${after}` : ''}`)).json();
      all.push(...page.data);
      if (!page.next) break;
      after = page.next;
    }
    expect(all.map((x) => x.id)).toContain(t.id);
    expect((await h.call(t.key, 'GET', '/v1/admin/tenants')).statusCode).toBe(401);
  });

  it('serves health, readiness and the OpenAPI document', async () => {
    expect((await h.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject('/readyz')).statusCode).toBe(200);
    const spec = (await h.app.inject('/docs/json')).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/conversations/{id}/messages', '/v1/admin/tenants', '/v1/api-keys/{id}']),
    );
  });
});
