import { generateProxyKeyPair, openSealed, type ProxyKeyPair } from '@warren/credentials';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from './harness.ts';

let h: ApiHarness;
let proxyKeys: ProxyKeyPair;
const ownKey = 'sk-ant-api03-tenant-own-key-0123456789-abcd';

beforeAll(async () => {
  proxyKeys = await generateProxyKeyPair();
  h = await startApiHarness({ PROXY_PUBLIC_KEY: proxyKeys.publicKey });
});
afterAll(() => h.close());

describe("a tenant's own provider key", () => {
  it('is stored sealed to the proxy, never returned, and removable', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const put = await h.call(a.key, 'PUT', '/v1/credentials/anthropic', { apiKey: ownKey });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ provider: 'anthropic', hint: 'abcd' });
    expect(put.body).not.toContain(ownKey.slice(0, -4));

    const listed = await h.call(a.key, 'GET', '/v1/credentials');
    expect(listed.json().data).toEqual([expect.objectContaining({ provider: 'anthropic', hint: 'abcd' })]);
    expect(listed.body).not.toContain('sk-ant');
    expect((await h.call(b.key, 'GET', '/v1/credentials')).json().data).toEqual([]);

    // In the database: only a sealed box, which the proxy's key pair (and only it) opens.
    const { rows } = await h.db.pool.query('SELECT sealed FROM control.credentials WHERE tenant_id = $1', [a.id]);
    expect(rows[0].sealed).not.toContain('sk-ant');
    expect(await openSealed(proxyKeys, rows[0].sealed)).toBe(ownKey);
    await expect(openSealed(await generateProxyKeyPair(), rows[0].sealed)).rejects.toThrow();

    // replacing keeps one row
    await h.call(a.key, 'PUT', '/v1/credentials/anthropic', { apiKey: `${ownKey}-new1` });
    expect((await h.call(a.key, 'GET', '/v1/credentials')).json().data).toEqual([expect.objectContaining({ hint: 'new1' })]);

    expect((await h.call(b.key, 'DELETE', '/v1/credentials/anthropic')).statusCode).toBe(404);
    expect((await h.call(a.key, 'DELETE', '/v1/credentials/anthropic')).statusCode).toBe(204);
    expect((await h.call(a.key, 'GET', '/v1/credentials')).json().data).toEqual([]);
  });

  it('rejects malformed keys and unknown providers', async () => {
    const t = await h.tenant();
    for (const [url, body] of [
      ['/v1/credentials/anthropic', { apiKey: 'short' }],
      ['/v1/credentials/anthropic', { apiKey: 'has spaces in it and is long enough' }],
      ['/v1/credentials/anthropic', { apiKey: ownKey, extra: 1 }],
      ['/v1/credentials/openai', { apiKey: ownKey }],
    ] as const) {
      const res = await h.call(t.key, 'PUT', url, body);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('answers 503 when the API has no proxy public key to seal to', async () => {
    const bare = await startApiHarness();
    try {
      const t = await bare.tenant();
      const res = await bare.call(t.key, 'PUT', '/v1/credentials/anthropic', { apiKey: ownKey });
      expect(res.statusCode).toBe(503);
      expect(res.json().type).toBe('urn:warren:problem:unavailable');
    } finally {
      await bare.close();
    }
  });
});
