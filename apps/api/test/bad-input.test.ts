import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

// Malformed bodies, headers, ids, oversize payloads and unknown fields: 4xx problem+json, never 5xx,
// and nothing stored.

let h: ApiHarness;
let t: { id: string; key: string };
let conv: string;

beforeAll(async () => {
  h = await startApiHarness({ BODY_LIMIT_BYTES: 64 * 1024 });
  t = await h.tenant();
  conv = (await h.call(t.key, 'POST', '/v1/conversations', {})).json().id;
});
afterAll(() => h.close());

type Case = { name: string; status: number; req: () => InjectOptions };

const json = { 'content-type': 'application/json' };
const auth = () => ({ authorization: `Bearer ${t.key}` });
const msgUrl = () => `/v1/conversations/${conv}/messages`;

const cases: Case[] = [
  {
    name: 'body that is not JSON',
    status: 400,
    req: () => ({ method: 'POST', url: msgUrl(), headers: { ...auth(), ...json }, payload: '{"content": ' }),
  },
  { name: 'JSON array instead of object', status: 400, req: () => ({ method: 'POST', url: msgUrl(), headers: auth(), payload: [1, 2] }) },
  { name: 'missing content', status: 400, req: () => ({ method: 'POST', url: msgUrl(), headers: auth(), payload: {} }) },
  { name: 'empty content', status: 400, req: () => ({ method: 'POST', url: msgUrl(), headers: auth(), payload: { content: '' } }) },
  {
    name: 'content of the wrong type',
    status: 400,
    req: () => ({ method: 'POST', url: msgUrl(), headers: auth(), payload: { content: 42 } }),
  },
  {
    name: 'unknown field',
    status: 400,
    req: () => ({ method: 'POST', url: msgUrl(), headers: auth(), payload: { content: 'x', admin: true } }),
  },
  {
    name: 'metadata that is not an object',
    status: 400,
    req: () => ({ method: 'POST', url: msgUrl(), headers: auth(), payload: { content: 'x', metadata: 'nope' } }),
  },
  {
    name: 'oversize body',
    status: 413,
    req: () => ({ method: 'POST', url: msgUrl(), headers: auth(), payload: { content: 'x'.repeat(70_000) } }),
  },
  {
    name: 'wrong content type',
    status: 415,
    req: () => ({ method: 'POST', url: msgUrl(), headers: { ...auth(), 'content-type': 'text/xml' }, payload: '<x/>' }),
  },
  { name: 'malformed conversation id', status: 400, req: () => ({ method: 'GET', url: '/v1/conversations/not-an-id', headers: auth() }) },
  { name: 'id of the wrong kind', status: 400, req: () => ({ method: 'GET', url: `/v1/conversations/${t.id}`, headers: auth() }) },
  {
    name: 'SQL in the id',
    status: 400,
    req: () => ({ method: 'GET', url: `/v1/conversations/conv_1'%3B%20DROP%20TABLE%20messages--`, headers: auth() }),
  },
  {
    name: 'well-formed unknown id',
    status: 404,
    req: () => ({ method: 'GET', url: '/v1/conversations/conv_01h2xcejqtf2nbrexx3vqjhp41', headers: auth() }),
  },
  { name: 'negative after', status: 400, req: () => ({ method: 'GET', url: `${msgUrl()}?after=-1`, headers: auth() }) },
  { name: 'limit out of range', status: 400, req: () => ({ method: 'GET', url: `${msgUrl()}?limit=100000`, headers: auth() }) },
  { name: 'non-numeric after', status: 400, req: () => ({ method: 'GET', url: `${msgUrl()}?after=abc`, headers: auth() }) },
  { name: 'unknown query parameter', status: 400, req: () => ({ method: 'GET', url: `${msgUrl()}?sort=desc`, headers: auth() }) },
  { name: 'no Authorization header', status: 401, req: () => ({ method: 'GET', url: '/v1/conversations' }) },
  {
    name: 'Authorization without Bearer',
    status: 401,
    req: () => ({ method: 'GET', url: '/v1/conversations', headers: { authorization: t.key } }),
  },
  {
    name: 'unknown API key',
    status: 401,
    req: () => ({ method: 'GET', url: '/v1/conversations', headers: { authorization: 'Bearer wrn_forged' } }),
  },
  {
    name: 'absurdly long key',
    status: 401,
    req: () => ({ method: 'GET', url: '/v1/conversations', headers: { authorization: `Bearer ${'a'.repeat(5000)}` } }),
  },
  {
    name: 'Idempotency-Key with spaces',
    status: 400,
    req: () => ({ method: 'POST', url: msgUrl(), headers: { ...auth(), 'idempotency-key': 'has spaces' }, payload: { content: 'x' } }),
  },
  {
    name: 'Idempotency-Key too long',
    status: 400,
    req: () => ({ method: 'POST', url: msgUrl(), headers: { ...auth(), 'idempotency-key': 'k'.repeat(300) }, payload: { content: 'x' } }),
  },
  {
    name: 'invalid trigger regex',
    status: 400,
    req: () => ({ method: 'POST', url: '/v1/conversations', headers: auth(), payload: { trigger: { mode: 'mention', pattern: '([' } } }),
  },
  {
    name: 'unknown trigger mode',
    status: 400,
    req: () => ({ method: 'POST', url: '/v1/conversations', headers: auth(), payload: { trigger: { mode: 'sometimes' } } }),
  },
  { name: 'empty PATCH', status: 400, req: () => ({ method: 'PATCH', url: `/v1/conversations/${conv}`, headers: auth(), payload: {} }) },
  {
    name: 'admin call with a tenant key',
    status: 401,
    req: () => ({ method: 'POST', url: '/v1/admin/tenants', headers: auth(), payload: { name: 'x' } }),
  },
  {
    name: 'admin body with unknown field',
    status: 400,
    req: () => ({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: { authorization: `Bearer ${OPS_TOKEN}` },
      payload: { name: 'x', schemaName: 'public' },
    }),
  },
  {
    name: 'empty tenant limits',
    status: 400,
    req: () => ({ method: 'PATCH', url: `/v1/admin/tenants/${t.id}`, headers: { authorization: `Bearer ${OPS_TOKEN}` }, payload: {} }),
  },
  {
    name: 'turn cap out of range',
    status: 400,
    req: () => ({
      method: 'PATCH',
      url: `/v1/admin/tenants/${t.id}`,
      headers: { authorization: `Bearer ${OPS_TOKEN}` },
      payload: { maxConcurrentTurns: 0 },
    }),
  },
  {
    name: 'tenant limits with a tenant key',
    status: 401,
    req: () => ({ method: 'PATCH', url: `/v1/admin/tenants/${t.id}`, headers: auth(), payload: { maxConcurrentTurns: 9 } }),
  },
  { name: 'unknown route', status: 404, req: () => ({ method: 'GET', url: '/v1/nothing-here', headers: auth() }) },
];

describe('bad input', () => {
  it.each(cases)('$name → $status problem+json', async ({ status, req }) => {
    const res = await h.app.inject(req());
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:warren:problem:/), title: expect.any(String) });
    expect(problem.detail).toEqual(expect.any(String));
  });

  it('names the offending field in validation problems', async () => {
    const res = await h.call(t.key, 'POST', msgUrl(), { content: 'x', admin: true });
    expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body' })]));
    expect(JSON.stringify(res.json().errors)).toContain('admin');
  });

  it('stored nothing from the rejected requests', async () => {
    const msgs = (await h.call(t.key, 'GET', msgUrl())).json();
    expect(msgs.data).toEqual([]);
    const convs = (await h.call(t.key, 'GET', '/v1/conversations')).json();
    expect(convs.data).toHaveLength(1);
  });

  it('rate-limits per API key with 429 problem+json', async () => {
    const limited = await (await import('./harness.ts')).startApiHarness({ RATE_LIMIT_PER_MINUTE: 3 });
    try {
      const one = await limited.tenant();
      const two = await limited.tenant();
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await limited.call(one.key, 'GET', '/v1/conversations')).statusCode);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const res = await limited.call(one.key, 'GET', '/v1/conversations');
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toBeDefined();
      // another key of another tenant is not affected
      expect((await limited.call(two.key, 'GET', '/v1/conversations')).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
