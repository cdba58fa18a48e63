import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

// Input Postgres cannot store (NUL, lone surrogates), JSON nested past any sane depth and
// numbers past their column's type: each once reached the database or JSON.stringify and came
// back as a 500. Each is a 400 problem+json naming the field, and nothing is stored.

let h: ApiHarness;
let t: { id: string; key: string };
let conv: string;

beforeAll(async () => {
  h = await startApiHarness();
  t = await h.tenant();
  conv = (await h.call(t.key, 'POST', '/v1/conversations', {})).json().id;
});
afterAll(() => h.close());

const NUL = 'a\u0000b';
const LONE = 'a\ud800b';
const deep = (levels: number) => `${'{"k":'.repeat(levels)}1${'}'.repeat(levels)}`;

type Case = [name: string, method: string, url: () => string, body: unknown, key?: () => string];
const tenantKey = () => t.key;
const ops = () => OPS_TOKEN;
const msgs = () => `/v1/conversations/${conv}/messages`;

const cases: Case[] = [];
for (const [what, bad] of [
  ['NUL', NUL],
  ['a lone surrogate', LONE],
] as const) {
  cases.push(
    [`${what} in content`, 'POST', msgs, { content: bad }],
    [`${what} in sender`, 'POST', msgs, { content: 'x', sender: bad }],
    [`${what} in a metadata value`, 'POST', msgs, { content: 'x', metadata: { k: bad } }],
    [`${what} in a nested metadata value`, 'POST', msgs, { content: 'x', metadata: { k: [{ deeper: [bad] }] } }],
    [`${what} in a metadata key`, 'POST', msgs, { content: 'x', metadata: { [bad]: 1 } }],
    [`${what} in a nested metadata key`, 'POST', msgs, { content: 'x', metadata: { k: { [bad]: 1 } } }],
    [`${what} in externalId`, 'POST', () => '/v1/conversations', { externalId: bad }],
    [`${what} in title`, 'POST', () => '/v1/conversations', { title: bad }],
    [`${what} in assistantName`, 'PATCH', () => `/v1/conversations/${conv}`, { assistantName: bad }],
    [`${what} in a trigger pattern`, 'POST', () => '/v1/conversations', { trigger: { mode: 'mention', pattern: bad } }],
    [`${what} in an API key name`, 'POST', () => '/v1/api-keys', { name: bad }],
    [`${what} in a tenant name`, 'POST', () => '/v1/admin/tenants', { name: bad }, ops],
  );
}
// A URL cannot carry a lone surrogate: %-decoding turns invalid UTF-8 into U+FFFD.
cases.push(['NUL in the externalId query', 'GET', () => '/v1/conversations?externalId=a%00b', undefined]);

describe('text Postgres cannot store', () => {
  it.each(cases)('%s → 400 problem+json', async (_name, method, url, body, key = tenantKey) => {
    const res = await h.call(key(), method, url(), body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ type: 'urn:warren:problem:validation', status: 400 });
    expect(res.body).toMatch(/NUL|surrogate|invalid key/i);
  });

  it('a NUL in a path parameter is a 400, not a lookup', async () => {
    const res = await h.call(t.key, 'GET', `/v1/conversations/conv_${'0'.repeat(25)}%00`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('JSON depth', () => {
  it('metadata nested 10,000 deep is refused before anything recurses', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: msgs(),
      headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' },
      payload: `{"content":"x","metadata":${deep(10_000)}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().detail).toMatch(/nested deeper than 32/);
  });

  it('brackets inside strings do not count as nesting', async () => {
    const res = await h.call(t.key, 'POST', msgs(), { content: '[[[[{{{{'.repeat(100), metadata: { k: '"\\[[[[' } });
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe('ops limits against their column types', () => {
  it.each([
    ['requestsPerMinute', 2 ** 31],
    ['maxConversations', 2 ** 31],
    ['turnMaxOutputBytes', 2 ** 31],
    ['monthlyTokenBudget', 2 ** 63],
    ['workspaceBytes', Number.MAX_SAFE_INTEGER + 2],
    ['sandboxCpuPercent', 1.5],
    ['maxApiKeys', -1],
  ])('%s = %d → 400', async (field, value) => {
    const res = await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${t.id}`, { [field]: value });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
  });
});
