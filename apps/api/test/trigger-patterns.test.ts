import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from './harness.ts';

// A tenant's trigger pattern runs on the API's event loop, inside the message's transaction.
// With a backtracking engine `(a+)+$` against 30 a's and a '!' held the loop for minutes: no
// other tenant, not even /healthz, got an answer. Patterns are RE2 now.

let h: ApiHarness;
let base: string;

beforeAll(async () => {
  h = await startApiHarness();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});
afterAll(() => h.close());

const post = (key: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const queuedTurns = async (conversationId: string) =>
  (await h.db.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'turn' AND singleton_key = $1`, [conversationId])).rows[0]
    .n;

describe('trigger patterns', () => {
  it('a catastrophic pattern matches in linear time while other tenants are answered', async () => {
    const attacker = await h.tenant('attacker');
    const other = await h.tenant('other');
    const created = await post(attacker.key, '/v1/conversations', { trigger: { mode: 'mention', pattern: '(a+)+$' } });
    expect(created.status).toBe(201);
    const conv = ((await created.json()) as { id: string }).id;

    // Sent together: on a backtracking engine the first never finishes, and neither do the others.
    const [evil, health, others] = await Promise.all([
      post(attacker.key, `/v1/conversations/${conv}/messages`, { content: `${'a'.repeat(60_000)}!` }),
      fetch(`${base}/healthz`),
      fetch(`${base}/v1/conversations`, { headers: { authorization: `Bearer ${other.key}` } }),
    ]);
    expect(evil.status).toBe(201);
    expect(health.status).toBe(200);
    expect(others.status).toBe(200);
    expect(await queuedTurns(conv)).toBe(0); // it matched nothing
  });

  it.each([
    ['lookahead', '(?=admin)'],
    ['a backreference', '(a)\\1'],
    ['a repeat count over 1000', 'a{1001}'],
    ['a pattern too large once compiled', '.{1000}.{1000}'],
    ['a pattern over 200 characters', 'a'.repeat(201)],
  ])('%s is refused at create and update with a 400 saying why', async (_what, pattern) => {
    const { key } = await h.tenant();
    const create = await h.call(key, 'POST', '/v1/conversations', { trigger: { mode: 'mention', pattern } });
    expect(create.statusCode).toBe(400);
    expect(create.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(create.json().errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'trigger.pattern', message: expect.stringMatching(/RE2|complex|at most 200/) }),
      ]),
    );

    const conv = (await h.call(key, 'POST', '/v1/conversations', {})).json().id;
    const update = await h.call(key, 'PATCH', `/v1/conversations/${conv}`, { trigger: { mode: 'mention', pattern } });
    expect(update.statusCode).toBe(400);
  });

  it('an accepted pattern triggers a turn when it matches', async () => {
    const { key } = await h.tenant();
    const conv = (await h.call(key, 'POST', '/v1/conversations', { trigger: { mode: 'mention', pattern: '^/ask\\b' } })).json().id;
    expect((await h.call(key, 'POST', `/v1/conversations/${conv}/messages`, { content: '/ASK about it' })).statusCode).toBe(201);
    expect(await queuedTurns(conv)).toBe(1);
  });
});
