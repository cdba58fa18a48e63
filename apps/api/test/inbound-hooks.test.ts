import { createHmac } from 'node:crypto';
import { withTenant } from '@warren/db';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

let h: ApiHarness;
let t: { id: string; key: string };

const LIMIT = 8 * 1024;

beforeAll(async () => {
  h = await startApiHarness({ INBOUND_BODY_LIMIT_BYTES: LIMIT });
  t = await h.tenant('hooks');
});
afterAll(() => h.close());

let deliveries = 0;
const nextId = () => `msg_test_${++deliveries}`;

/** Headers a Standard Webhooks sender would send, signed with the standardwebhooks package. */
function standardHeaders(secret: string, body: string, opts: { id?: string; at?: Date } = {}) {
  const id = opts.id ?? nextId();
  const at = opts.at ?? new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

const deliver = (hookId: string, body: string, headers: Record<string, string>) =>
  h.app.inject({ method: 'POST', url: `/hooks/${hookId}`, payload: body, headers });

async function stored(tenantId: string) {
  return withTenant(h.db.pool, tenantId, async (tx) => {
    const receipts = await tx.client.query<{ delivery_id: string; payload: Buffer; message_id: string }>(
      'SELECT delivery_id, payload, message_id FROM webhook_receipts ORDER BY received_at',
    );
    const messages = await tx.client.query<{ content: string; conversation_id: string; sender: string | null }>(
      'SELECT content, conversation_id, sender FROM messages ORDER BY created_at',
    );
    return { receipts: receipts.rows, messages: messages.rows };
  });
}

const turnJobs = async (conversationId: string) =>
  (await h.db.pool.query(`SELECT state FROM pgboss.job WHERE name = 'turn' AND singleton_key = $1`, [conversationId])).rows;

const createConversation = async (tenant = t) => (await h.call(tenant.key, 'POST', '/v1/conversations', {})).json().id as string;

async function createHook(body: Record<string, unknown>, tenant = t) {
  const res = await h.call(tenant.key, 'POST', '/v1/inbound-hooks', { name: 'ci', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string; path: string };
}

const issueComment = { issue: { title: 'Build broken' }, comment: { body: 'tests fail on main' }, sender: { login: 'ann' } };

describe('inbound hooks: Standard Webhooks', () => {
  it('a valid delivery commits its message and turn; the raw payload is kept; the secret is shown once', async () => {
    const conv = await createConversation();
    const hook = await createHook({
      conversation: { id: conv },
      text: { template: '{{/issue/title}}: {{/comment/body}}' },
      senderPointer: '/sender/login',
    });
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.path).toBe(`/hooks/${hook.id}`);
    expect((await h.call(t.key, 'GET', `/v1/inbound-hooks/${hook.id}`)).body).not.toContain(hook.secret);

    const body = JSON.stringify(issueComment);
    const res = await deliver(hook.id, body, standardHeaders(hook.secret, body, { id: 'delivery-1' }));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ deliveryId: 'delivery-1', conversationId: conv, replayed: false });

    const msgs = (await h.call(t.key, 'GET', `/v1/conversations/${conv}/messages`)).json().data;
    expect(msgs).toMatchObject([{ id: res.json().messageId, content: 'Build broken: tests fail on main', sender: 'ann', seq: 1 }]);
    expect(msgs[0].metadata).toEqual({ inboundHook: hook.id, deliveryId: 'delivery-1' });
    expect(await turnJobs(conv)).toEqual([{ state: 'created' }]);
    const { receipts } = await stored(t.id);
    const receipt = receipts.find((r) => r.delivery_id === 'delivery-1')!;
    expect(receipt.payload.toString('utf8')).toBe(body);
    expect(receipt.message_id).toBe(res.json().messageId);
  });

  it('a replayed delivery id answers 200 with the first answer and stores nothing new', async () => {
    const conv = await createConversation();
    const hook = await createHook({ conversation: { id: conv }, text: { pointer: '/comment/body' } });
    const body = JSON.stringify(issueComment);
    const first = await deliver(hook.id, body, standardHeaders(hook.secret, body, { id: 'replayed' }));
    expect(first.statusCode).toBe(201);
    const again = await Promise.all([1, 2, 3].map(() => deliver(hook.id, body, standardHeaders(hook.secret, body, { id: 'replayed' }))));
    for (const res of again) {
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ...first.json(), replayed: true });
    }
    expect((await h.call(t.key, 'GET', `/v1/conversations/${conv}/messages`)).json().data).toHaveLength(1);
  });

  it('concurrent first deliveries of one id store one message', async () => {
    const conv = await createConversation();
    const hook = await createHook({ conversation: { id: conv }, text: { pointer: '/comment/body' } });
    const body = JSON.stringify(issueComment);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => deliver(hook.id, body, standardHeaders(hook.secret, body, { id: 'racing' }))),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect((await h.call(t.key, 'GET', `/v1/conversations/${conv}/messages`)).json().data).toHaveLength(1);
  });

  describe('refusals store nothing', () => {
    let conv: string;
    let hook: { id: string; secret: string };
    const body = JSON.stringify(issueComment);
    beforeAll(async () => {
      conv = await createConversation();
      hook = await createHook({ conversation: { id: conv }, text: { pointer: '/comment/body' } });
    });

    const refusals: Array<[string, () => { body: string; headers: Record<string, string> }, number, string]> = [
      [
        'a wrong signature',
        () => ({ body, headers: standardHeaders(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, body) }),
        401,
        'unauthorized',
      ],
      [
        'a body changed after signing',
        () => ({ body: body.replace('fail', 'pass'), headers: standardHeaders(hook.secret, body) }),
        401,
        'unauthorized',
      ],
      [
        'a timestamp 6 minutes old',
        () => ({ body, headers: standardHeaders(hook.secret, body, { at: new Date(Date.now() - 6 * 60_000) }) }),
        401,
        'unauthorized',
      ],
      [
        'a timestamp 6 minutes ahead',
        () => ({ body, headers: standardHeaders(hook.secret, body, { at: new Date(Date.now() + 6 * 60_000) }) }),
        401,
        'unauthorized',
      ],
      ['no signature headers', () => ({ body, headers: { 'content-type': 'application/json' } }), 401, 'unauthorized'],
      [
        'an oversize payload',
        () => {
          const big = JSON.stringify({ comment: { body: 'x'.repeat(LIMIT) } });
          return { body: big, headers: standardHeaders(hook.secret, big) };
        },
        413,
        'payload-too-large',
      ],
      [
        'a payload the mapping finds nothing in',
        () => {
          const other = JSON.stringify({ issue: { title: 'no comment' } });
          return { body: other, headers: standardHeaders(hook.secret, other) };
        },
        422,
        'hook-mapping-failed',
      ],
      [
        'a mapped value that is not text',
        () => {
          const other = JSON.stringify({ comment: { body: { nested: true } } });
          return { body: other, headers: standardHeaders(hook.secret, other) };
        },
        422,
        'hook-mapping-failed',
      ],
      [
        'a signed body that is not JSON',
        () => ({ body: 'not json', headers: standardHeaders(hook.secret, 'not json') }),
        400,
        'validation',
      ],
    ];

    it.each(refusals)('%s: %i problem+json', async (_what, make, status, type) => {
      const before = await stored(t.id);
      const { body: sent, headers } = make();
      const res = await deliver(hook.id, sent, headers);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().type).toBe(`urn:warren:problem:${type}`);
      expect(await stored(t.id)).toEqual(before);
      expect(await turnJobs(conv)).toEqual([]);
    });

    it('an unknown hook id: 404 problem+json', async () => {
      const res = await deliver('hook_01jz0000000000000000000000', body, standardHeaders(hook.secret, body));
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  it('an external id pointer creates the conversation on first sight and reuses it after', async () => {
    const hook = await createHook({ conversation: { externalIdPointer: '/repo' }, text: { pointer: '/text' } });
    const send = async (repo: string, text: string) => {
      const body = JSON.stringify({ repo, text });
      const res = await deliver(hook.id, body, standardHeaders(hook.secret, body));
      expect(res.statusCode, res.body).toBe(201);
      return res.json().conversationId as string;
    };
    const [a1, b1] = await Promise.all([send('org/a', 'one'), send('org/b', 'two')]);
    const [a2, a3] = await Promise.all([send('org/a', 'three'), send('org/a', 'four')]);
    expect(a2).toBe(a1);
    expect(a3).toBe(a1);
    expect(b1).not.toBe(a1);
    const found = (await h.call(t.key, 'GET', '/v1/conversations?externalId=org/a')).json().data;
    expect(found.map((c: { id: string }) => c.id)).toEqual([a1]);
    expect((await h.call(t.key, 'GET', `/v1/conversations/${a1}/messages`)).json().data).toHaveLength(3);
  });
});

describe('inbound hooks: GitHub signatures', () => {
  const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  it('accepts X-Hub-Signature-256 over the raw body and refuses a wrong one', async () => {
    const conv = await createConversation();
    const hook = await createHook({ scheme: 'github', conversation: { id: conv }, text: { pointer: '/comment/body' } });
    const body = JSON.stringify(issueComment, null, 2); // GitHub's own formatting is kept byte for byte
    const headers = (signature: string) => ({
      'content-type': 'application/json',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': signature,
    });
    const wrong = await deliver(hook.id, body, headers(sign('not the secret', body)));
    expect(wrong.statusCode).toBe(401);
    const ok = await deliver(hook.id, body, headers(sign(hook.secret, body)));
    expect(ok.statusCode, ok.body).toBe(201);
    const replay = await deliver(hook.id, body, headers(sign(hook.secret, body)));
    expect(replay.statusCode).toBe(200);
    expect((await h.call(t.key, 'GET', `/v1/conversations/${conv}/messages`)).json().data).toHaveLength(1);
  });
});

describe('inbound hooks: management', () => {
  it('lists, updates and deletes hooks; a deleted hook answers 404', async () => {
    const tenant = await h.tenant('crud');
    const conv = await createConversation(tenant);
    const hook = await createHook({ conversation: { id: conv }, text: { pointer: '/a' } }, tenant);
    const list = (await h.call(tenant.key, 'GET', '/v1/inbound-hooks')).json();
    expect(list.data.map((x: { id: string }) => x.id)).toEqual([hook.id]);
    const patched = await h.call(tenant.key, 'PATCH', `/v1/inbound-hooks/${hook.id}`, { text: { template: 'said {{/a}}' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ text: { template: 'said {{/a}}' }, conversation: { id: conv } });

    const body = JSON.stringify({ a: 'hi' });
    expect((await deliver(hook.id, body, standardHeaders(hook.secret, body))).statusCode).toBe(201);
    expect((await h.call(tenant.key, 'GET', `/v1/conversations/${conv}/messages`)).json().data[0].content).toBe('said hi');

    expect((await h.call(tenant.key, 'DELETE', `/v1/inbound-hooks/${hook.id}`)).statusCode).toBe(204);
    expect((await deliver(hook.id, body, standardHeaders(hook.secret, body))).statusCode).toBe(404);
    expect((await h.call(tenant.key, 'GET', `/v1/inbound-hooks/${hook.id}`)).statusCode).toBe(404);
  });

  it('refuses bad mappings at creation', async () => {
    const conv = await createConversation();
    for (const bad of [
      { conversation: { id: conv }, text: { pointer: 'no-slash' } },
      { conversation: { id: conv }, text: { template: 'no substitutions' } },
      { conversation: { id: conv }, text: { template: '{{bad pointer}}' } },
      { conversation: { externalIdPointer: '' }, text: { pointer: '/a' } },
      { conversation: { id: conv }, text: { pointer: '/a' }, scheme: 'svix' },
    ]) {
      const res = await h.call(t.key, 'POST', '/v1/inbound-hooks', { name: 'bad', ...bad });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
    const missing = await h.call(t.key, 'POST', '/v1/inbound-hooks', {
      name: 'x',
      conversation: { id: 'conv_01jz0000000000000000000000' },
      text: { pointer: '/a' },
    });
    expect(missing.statusCode).toBe(404);
  });

  it("keeps to the tenant's maxInboundHooks", async () => {
    const tenant = await h.tenant('quota');
    expect((await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${tenant.id}`, { maxInboundHooks: 1 })).statusCode).toBe(200);
    const conv = await createConversation(tenant);
    await createHook({ conversation: { id: conv }, text: { pointer: '/a' } }, tenant);
    const over = await h.call(tenant.key, 'POST', '/v1/inbound-hooks', {
      name: 'two',
      conversation: { id: conv },
      text: { pointer: '/a' },
    });
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({ type: 'urn:warren:problem:inbound-hook-quota-exceeded', quota: 'maxInboundHooks', limit: 1 });
  });
});
