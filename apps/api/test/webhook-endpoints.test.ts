import { withTenant } from '@warren/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

let h: ApiHarness;
let t: { id: string; key: string };

beforeAll(async () => {
  h = await startApiHarness();
  t = await h.tenant('webhooks');
});
afterAll(() => h.close());

const create = (body: unknown, key = t.key) => h.call(key, 'POST', '/v1/webhook-endpoints', body);

describe('webhook endpoints', () => {
  it('creates an endpoint whose secret is shown once, then reads, changes and deletes it', async () => {
    const created = await create({ url: 'https://receiver.example/hooks', description: 'orders', eventTypes: ['message.created'] });
    expect(created.statusCode, created.body).toBe(201);
    const endpoint = created.json();
    expect(endpoint).toMatchObject({
      id: expect.stringMatching(/^ep_/),
      url: 'https://receiver.example/hooks',
      eventTypes: ['message.created'],
      enabled: true,
      disabledReason: null,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const read = await h.call(t.key, 'GET', `/v1/webhook-endpoints/${endpoint.id}`);
    expect(read.json()).not.toHaveProperty('secret');
    expect(read.body).not.toContain(endpoint.secret.slice(6));
    expect((await h.call(t.key, 'GET', '/v1/webhook-endpoints')).json().data.map((e: { id: string }) => e.id)).toContain(endpoint.id);

    const disabled = await h.call(t.key, 'PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { enabled: false, eventTypes: [] });
    expect(disabled.json()).toMatchObject({ enabled: false, disabledReason: 'manual', eventTypes: [] });
    const enabled = await h.call(t.key, 'PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { enabled: true });
    expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null });

    expect((await h.call(t.key, 'DELETE', `/v1/webhook-endpoints/${endpoint.id}`)).statusCode).toBe(204);
    expect((await h.call(t.key, 'GET', `/v1/webhook-endpoints/${endpoint.id}`)).statusCode).toBe(404);
    const index = await h.db.pool.query('SELECT count(*)::int AS n FROM control.webhook_endpoints WHERE id = $1', [endpoint.id]);
    expect(index.rows[0].n).toBe(0);
  });

  it('rotates the secret, the old one signing beside it for the overlap', async () => {
    const endpoint = (await create({ url: 'https://receiver.example/rotate' })).json();
    const rotated = await h.call(t.key, 'POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { overlapSeconds: 3600 });
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(rotated.json().secret).not.toBe(endpoint.secret);
    const expires = Date.parse(rotated.json().previousSecretExpiresAt);
    expect(expires).toBeGreaterThan(Date.now() + 3500_000);
    const atOnce = await h.call(t.key, 'POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { overlapSeconds: 0 });
    expect(atOnce.json().previousSecretExpiresAt).toBeNull();
    const noBody = await h.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      headers: { authorization: `Bearer ${t.key}` },
    });
    expect(noBody.statusCode, noBody.body).toBe(200);
    expect(noBody.json().previousSecretExpiresAt).not.toBeNull(); // the default overlap, a day
  });

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost:3000/',
    'http://10.0.0.5/',
    'http://192.168.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[fd00:ec2::254]/',
    'http://100.64.0.1/',
    'https://user:password@receiver.example/',
  ])('refuses the destination %s with 422 and stores nothing', async (url) => {
    const before = await h.db.pool.query('SELECT count(*)::int AS n FROM control.webhook_endpoints');
    const res = await create({ url });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().type).toBe('urn:warren:problem:destination-refused');
    const after = await h.db.pool.query('SELECT count(*)::int AS n FROM control.webhook_endpoints');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('refuses a private destination in a change too', async () => {
    const endpoint = (await create({ url: 'https://receiver.example/change' })).json();
    const res = await h.call(t.key, 'PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { url: 'http://127.0.0.1/' });
    expect(res.statusCode).toBe(422);
    expect((await h.call(t.key, 'GET', `/v1/webhook-endpoints/${endpoint.id}`)).json().url).toBe('https://receiver.example/change');
  });

  it.each([
    ['another scheme', { url: 'ftp://receiver.example/' }],
    ['not a URL', { url: 'not a url' }],
    ['a URL over 2 KiB', { url: `https://receiver.example/${'a'.repeat(2100)}` }],
    ['an unknown event type', { url: 'https://receiver.example/', eventTypes: ['message.deleted'] }],
    ['an unknown field', { url: 'https://receiver.example/', extra: true }],
    ['no URL', {}],
  ])('answers %s with 400 problem+json', async (_what, body) => {
    const res = await create(body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it("keeps to the tenant's maxWebhookEndpoints", async () => {
    const tenant = await h.tenant('quota');
    expect((await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${tenant.id}`, { maxWebhookEndpoints: 1 })).statusCode).toBe(200);
    expect((await create({ url: 'https://receiver.example/1' }, tenant.key)).statusCode).toBe(201);
    const over = await create({ url: 'https://receiver.example/2' }, tenant.key);
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({
      type: 'urn:warren:problem:webhook-endpoint-quota-exceeded',
      quota: 'maxWebhookEndpoints',
      limit: 1,
    });
  });

  it('lists deliveries and refuses to redeliver one that is still coming', async () => {
    const endpoint = (await create({ url: 'https://receiver.example/deliveries' })).json();
    // a delivery as a worker's fan-out would have written it
    const deliveryId = 'dlv_01jv0000000000000000000000';
    await withTenant(h.db.pool, t.id, (tx) =>
      tx.client.query(
        `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, next_attempt_at) VALUES ($1, $2, 1, 'message.created', '{}', now())`,
        [deliveryId, endpoint.id],
      ),
    );
    const list = (await h.call(t.key, 'GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries?status=pending`)).json();
    expect(list.data).toEqual([expect.objectContaining({ id: deliveryId, status: 'pending', attempts: 0 })]);
    const one = (await h.call(t.key, 'GET', `/v1/webhook-deliveries/${deliveryId}`)).json();
    expect(one).toMatchObject({ id: deliveryId, attemptLog: [] });
    const again = await h.call(t.key, 'POST', `/v1/webhook-deliveries/${deliveryId}/redeliver`);
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await h.call(t.key, 'POST', '/v1/webhook-deliveries/dlv_01jv0000000000000000000001/redeliver')).statusCode).toBe(404);
  });
});
