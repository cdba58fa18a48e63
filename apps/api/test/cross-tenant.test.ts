import { writeArchive } from '@warren/conversations';
import { withTenant } from '@warren/db';
import { skillMd, tarOf } from '@warren/testkit';
import { claimTurn } from '@warren/turns';
import { Webhook } from 'standardwebhooks';
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
/** B's skill: names are per tenant, so A asking for it must find nothing. */
const bSkill = 'b-only-skill';
let bAssistant: string;
let bArchive: string;
let bHook: { id: string; secret: string };
let bTask: string;
let bEndpoint: string;
let bDelivery: string;

beforeAll(async () => {
  h = await startApiHarness();
  a = await h.tenant('A');
  b = await h.tenant('B');
  bConv = (await h.call(b.key, 'POST', '/v1/conversations', { externalId: 'b-ext', title: 'B only' })).json().id;
  await h.call(b.key, 'POST', `/v1/conversations/${bConv}/messages`, { content: 'B secret message' });
  bKeyId = (await h.call(b.key, 'POST', '/v1/api-keys', { name: 'b-second' })).json().id;
  const skill = await tarOf([{ name: 'SKILL.md', body: skillMd(bSkill) }]);
  expect((await h.call(b.key, 'PUT', `/v1/skills/${bSkill}`, skill, { 'content-type': 'application/x-tar' })).statusCode).toBe(201);
  // a turn of B's, as a worker would have claimed it
  bTurn = await withTenant(
    h.db.pool,
    b.id,
    async (tx) => (await claimTurn(tx, { conversationId: bConv, jobId: 'job', kind: 'message' }))!.turnId,
  );
  bAssistant = (await h.call(b.key, 'POST', '/v1/assistants', { name: 'B only', instructions: 'B secret instructions' })).json().id;
  // an archive of B's, as a compacting turn's commit would have written it
  bArchive = await withTenant(h.db.pool, b.id, (tx) =>
    writeArchive(tx, {
      conversationId: bConv,
      turnId: bTurn,
      transcript: [{ role: 'user', content: 'B secret archived' }],
      summary: 'B secret summary',
      contextTokens: 1,
    }),
  );
  bHook = (
    await h.call(b.key, 'POST', '/v1/inbound-hooks', { name: 'B only', conversation: { id: bConv }, text: { pointer: '/text' } })
  ).json();
  bTask = (
    await h.call(b.key, 'POST', '/v1/tasks', {
      conversationId: bConv,
      prompt: 'B secret task',
      schedule: { kind: 'interval', value: '1h' },
    })
  ).json().id;
  bEndpoint = (await h.call(b.key, 'POST', '/v1/webhook-endpoints', { url: 'https://b.example/hooks', description: 'B only' })).json().id;
  // a finished delivery of B's, as a worker would have left it
  bDelivery = 'dlv_01jv00000000000000000000bb';
  await withTenant(h.db.pool, b.id, (tx) =>
    tx.client.query(
      `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status, attempts)
       VALUES ($1, $2, 1, 'message.created', '{"data":{"content":"B secret payload"}}', 'succeeded', 1)`,
      [bDelivery, bEndpoint],
    ),
  );
});

/** A Standard Webhooks delivery to `hookId`, signed with `secret`. */
function deliver(hookId: string, secret: string, payload: unknown, id = `d-${Math.random()}`) {
  const body = JSON.stringify(payload);
  const at = new Date();
  return h.app.inject({
    method: 'POST',
    url: `/hooks/${hookId}`,
    payload: body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    },
  });
}
afterAll(() => h.close());

describe("tenant A's key with tenant B's ids", () => {
  const routes: Array<[string, () => string, unknown?]> = [
    ['GET', () => `/v1/conversations/${bConv}`],
    ['PATCH', () => `/v1/conversations/${bConv}`, { title: 'hijacked' }],
    ['DELETE', () => `/v1/conversations/${bConv}`],
    ['GET', () => `/v1/conversations/${bConv}/messages`],
    ['GET', () => `/v1/conversations/${bConv}/messages?after=0&limit=10`],
    ['POST', () => `/v1/conversations/${bConv}/messages`, { content: 'injected' }],
    ['DELETE', () => `/v1/api-keys/${bKeyId}`],
    ['GET', () => `/v1/conversations/${bConv}/turns`],
    ['GET', () => `/v1/turns/${bTurn}`],
    ['GET', () => `/v1/skills/${bSkill}`],
    ['DELETE', () => `/v1/skills/${bSkill}`],
    ['GET', () => `/v1/assistants/${bAssistant}`],
    ['PATCH', () => `/v1/assistants/${bAssistant}`, { instructions: 'hijacked' }],
    ['GET', () => `/v1/assistants/${bAssistant}/versions`],
    ['GET', () => `/v1/assistants/${bAssistant}/versions/1`],
    ['GET', () => `/v1/conversations/${bConv}/archives`],
    ['GET', () => `/v1/archives/${bArchive}`],
    ['GET', () => `/v1/inbound-hooks/${bHook.id}`],
    ['PATCH', () => `/v1/inbound-hooks/${bHook.id}`, { text: { pointer: '/hijacked' } }],
    ['DELETE', () => `/v1/inbound-hooks/${bHook.id}`],
    ['POST', () => '/v1/tasks', () => ({ conversationId: bConv, prompt: 'injected', schedule: { kind: 'interval', value: '1h' } })],
    ['GET', () => `/v1/tasks/${bTask}`],
    ['PATCH', () => `/v1/tasks/${bTask}`, { prompt: 'hijacked' }],
    ['DELETE', () => `/v1/tasks/${bTask}`],
    ['POST', () => `/v1/tasks/${bTask}/pause`],
    ['POST', () => `/v1/tasks/${bTask}/resume`],
    ['POST', () => `/v1/tasks/${bTask}/run`],
    ['GET', () => `/v1/tasks/${bTask}/runs`],
    ['GET', () => `/v1/conversations/${bConv}/events`],
    ['GET', () => `/v1/webhook-endpoints/${bEndpoint}`],
    ['PATCH', () => `/v1/webhook-endpoints/${bEndpoint}`, { url: 'https://a.example/stolen' }],
    ['DELETE', () => `/v1/webhook-endpoints/${bEndpoint}`],
    ['POST', () => `/v1/webhook-endpoints/${bEndpoint}/rotate-secret`, { overlapSeconds: 0 }],
    ['GET', () => `/v1/webhook-endpoints/${bEndpoint}/deliveries`],
    ['GET', () => `/v1/webhook-deliveries/${bDelivery}`],
    ['POST', () => `/v1/webhook-deliveries/${bDelivery}/redeliver`],
  ];

  it.each(routes)('%s %s answers 404 problem+json', async (method, url, body) => {
    // a body naming B's ids is made when the probe runs, after they exist
    const res = await h.call(a.key, method, url(), typeof body === 'function' ? body() : body);
    expect(res.statusCode, res.body).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).not.toContain('B secret');
    expect(res.body).not.toContain('B only');
  });

  it("leaves B's webhook endpoint and delivery as they were", async () => {
    expect((await h.call(b.key, 'GET', `/v1/webhook-endpoints/${bEndpoint}`)).json()).toMatchObject({
      url: 'https://b.example/hooks',
      previousSecretExpiresAt: null,
    });
    expect((await h.call(b.key, 'GET', `/v1/webhook-deliveries/${bDelivery}`)).json()).toMatchObject({ status: 'succeeded', attempts: 1 });
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
    const byTitle = (await h.call(a.key, 'GET', '/v1/conversations?titleContains=B%20only')).json();
    expect(byTitle.data).toEqual([]);
    await h.db.pool.query(`INSERT INTO control.usage (tenant_id, model, requests, input_tokens) VALUES ($1, 'm', 1, 99)`, [b.id]);
    expect((await h.call(a.key, 'GET', '/v1/usage')).json().days).toEqual([]);
    expect((await h.call(b.key, 'GET', '/v1/usage')).json().days).toEqual([expect.objectContaining({ requests: 1, inputTokens: 99 })]);
    const keys = (await h.call(a.key, 'GET', '/v1/api-keys')).json().data;
    expect(keys.map((k: { id: string }) => k.id)).not.toContain(bKeyId);
    expect((await h.call(a.key, 'GET', '/v1/assistants')).json().data).toEqual([]);
    expect((await h.call(a.key, 'GET', '/v1/webhook-endpoints')).json().data).toEqual([]);
  });

  it("cannot give a conversation B's assistant", async () => {
    const created = await h.call(a.key, 'POST', '/v1/conversations', { assistantId: bAssistant });
    expect(created.statusCode).toBe(404);
    expect(created.body).not.toContain('B secret');
  });

  it("search finds B's words for B and never for A", async () => {
    const ofB = (await h.call(b.key, 'GET', '/v1/search?q=secret')).json().data;
    expect(ofB.map((hit: { kind: string }) => hit.kind).sort()).toEqual(['archive', 'message']);
    const res = await h.call(a.key, 'GET', '/v1/search?q=secret');
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([]);
  });

  it("uploading a skill under B's skill name makes A's own; B's is untouched", async () => {
    const mine = await tarOf([{ name: 'SKILL.md', body: skillMd(bSkill, 'A version of the name.') }]);
    const res = await h.call(a.key, 'PUT', `/v1/skills/${bSkill}`, mine, { 'content-type': 'application/x-tar' });
    expect(res.json()).toMatchObject({ version: 1, description: 'A version of the name.' });
    const theirs = (await h.call(b.key, 'GET', `/v1/skills/${bSkill}`)).json().versions;
    expect(theirs).toEqual([expect.objectContaining({ version: 1, description: expect.stringContaining('PDF') })]);
    expect((await h.call(a.key, 'GET', '/v1/inbound-hooks')).json().data).toEqual([]);
  });

  it("tenant A's hook never writes into tenant B", async () => {
    // A hook of A's aimed at B's conversation: B's id is not found in A's schema.
    const aimed = await h.call(a.key, 'POST', '/v1/inbound-hooks', { name: 'at B', conversation: { id: bConv }, text: { pointer: '/t' } });
    expect(aimed.statusCode).toBe(404);
    // An external id B already uses names a new conversation of A's, not B's.
    const aHook = (
      await h.call(a.key, 'POST', '/v1/inbound-hooks', {
        name: 'A',
        conversation: { externalIdPointer: '/ext' },
        text: { pointer: '/text' },
      })
    ).json();
    const res = await deliver(aHook.id, aHook.secret, { ext: 'b-ext', text: 'from A' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().conversationId).not.toBe(bConv);
    expect((await h.call(a.key, 'GET', `/v1/conversations/${res.json().conversationId}`)).statusCode).toBe(200);
    // B's hook, signed with A's secret, refuses the delivery.
    const forged = await deliver(bHook.id, aHook.secret, { text: 'forged' });
    expect(forged.statusCode).toBe(401);
    expect(forged.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await h.call(a.key, 'GET', '/v1/tasks')).json().data).toEqual([]);
  });

  it("left B's data untouched", async () => {
    expect((await h.call(b.key, 'GET', `/v1/conversations/${bConv}`)).json().title).toBe('B only');
    const msgs = (await h.call(b.key, 'GET', `/v1/conversations/${bConv}/messages`)).json().data;
    expect(msgs.map((m: { content: string }) => m.content)).toEqual(['B secret message']);
    const keys = (await h.call(b.key, 'GET', '/v1/api-keys')).json().data;
    expect(keys.find((k: { id: string }) => k.id === bKeyId).revokedAt).toBeNull();
    const assistant = (await h.call(b.key, 'GET', `/v1/assistants/${bAssistant}`)).json();
    expect(assistant).toMatchObject({ version: 1, instructions: 'B secret instructions' });
    expect((await h.call(b.key, 'GET', `/v1/inbound-hooks/${bHook.id}`)).json().text).toEqual({ pointer: '/text' });
    // and B's hook still delivers into B
    expect((await deliver(bHook.id, bHook.secret, { text: 'B hook works' })).statusCode).toBe(201);
    expect((await h.call(b.key, 'GET', `/v1/tasks/${bTask}`)).json()).toMatchObject({ prompt: 'B secret task', status: 'active' });
    expect((await h.call(b.key, 'GET', `/v1/tasks/${bTask}/runs`)).json().data).toEqual([]);
  });

  it('probes every tenant route that takes an id', async () => {
    const spec = (await h.app.inject('/docs/json')).json() as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(spec.paths)
      .filter(([path]) => (/\{(id|name)\}/.test(path) || path === '/v1/search') && !path.startsWith('/v1/admin/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      // creates the caller's own skill of that name: checked in its own test below
      .filter((route) => route !== 'PUT /v1/skills/{name}');
    const probed = routes.map(
      ([m, url]) =>
        `${m} ${url()
          .split('?')[0]!
          .replace(/(conv|key|turn|asst|arc|hook|task|ep|dlv)_[0-9a-z]{26}/, '{id}')
          .replace(/\/versions\/\d+$/, '/versions/{version}')
          .replace(bSkill, '{name}')}`,
    );
    probed.push('GET /v1/search'); // probed by its own test above
    expect(served.length).toBeGreaterThan(4);
    for (const route of served) expect(probed).toContain(route);
  });
});
