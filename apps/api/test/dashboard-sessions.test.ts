import { withTenant } from '@warren/db';
import { deleteTenant, MAX_SESSIONS_PER_SUBJECT } from '@warren/tenancy';
import { claimTurn } from '@warren/turns';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiConfigSchema, trustProxySetting } from '../src/config.ts';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

// The dashboard's sessions: a key or the ops token exchanged for an HttpOnly cookie. A tenant
// session reaches only its own tenant's data, writes need the CSRF header, sign-out and key
// revocation end it, and tenant and ops sessions do not cross planes.

let h: ApiHarness;
let a: { id: string; key: string };
let b: { id: string; key: string };

interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
}

async function signIn(body: Record<string, string>): Promise<Session> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/dashboard/session', payload: body });
  expect(res.statusCode, res.body).toBe(201);
  const setCookie = String(res.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, csrf: res.json().csrfToken, setCookie };
}

/** A request the way a browser sends it with the session: the cookie, no Authorization header. */
const withSession = (
  s: Session,
  method: string,
  url: string,
  body?: unknown,
  csrf: string | null = s.csrf,
): Promise<LightMyRequestResponse> =>
  h.app.inject({
    method: method as 'GET',
    url,
    headers: { cookie: s.cookie, ...(csrf === null ? {} : { 'x-csrf-token': csrf }) },
    ...(body === undefined ? {} : { payload: body as object }),
  });

beforeAll(async () => {
  h = await startApiHarness();
  a = await h.tenant('A');
  b = await h.tenant('B');
});
afterAll(() => h.close());

describe('signing in', () => {
  it('sets an HttpOnly, SameSite=Strict cookie (not Secure over plain HTTP) and never echoes the key', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/dashboard/session', payload: { apiKey: a.key } });
    expect(res.statusCode).toBe(201);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^warren_session=wds_[\w-]+;/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/i);
    expect(res.body).not.toContain(a.key);
    expect(res.json()).toMatchObject({ kind: 'tenant', tenantId: a.id });
  });

  it('refuses an unknown key, a wrong ops token and a malformed body', async () => {
    for (const payload of [{ apiKey: 'wrn_nope' }, { opsToken: 'wrong-token-0123456789abcdef' }]) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/dashboard/session', payload });
      expect(res.statusCode).toBe(401);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const bad = await h.app.inject({ method: 'POST', url: '/v1/dashboard/session', payload: { apiKey: a.key, opsToken: OPS_TOKEN } });
    expect(bad.statusCode).toBe(400);
  });

  it('GET /v1/dashboard/session gives the CSRF token back to a reloaded page', async () => {
    const s = await signIn({ apiKey: a.key });
    const res = await withSession(s, 'GET', '/v1/dashboard/session');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ kind: 'tenant', tenantId: a.id, csrfToken: s.csrf });
    expect((await h.app.inject('/v1/dashboard/session')).statusCode).toBe(401);
  });
});

describe("tenant A's session with tenant B's ids", () => {
  let s: Session;
  let bConv: string;
  let bKeyId: string;
  let bTurn: string;
  beforeAll(async () => {
    s = await signIn({ apiKey: a.key });
    bConv = (await h.call(b.key, 'POST', '/v1/conversations', { externalId: 'b-ext', title: 'B only' })).json().id;
    await h.call(b.key, 'POST', `/v1/conversations/${bConv}/messages`, { content: 'B secret message' });
    bKeyId = (await h.call(b.key, 'POST', '/v1/api-keys', { name: 'b-second' })).json().id;
    bTurn = await withTenant(
      h.db.pool,
      b.id,
      async (tx) => (await claimTurn(tx, { conversationId: bConv, jobId: 'job', kind: 'message' }))!.turnId,
    );
  });

  const routes: Array<[string, () => string, unknown?]> = [
    ['GET', () => `/v1/conversations/${bConv}`],
    ['PATCH', () => `/v1/conversations/${bConv}`, { title: 'hijacked' }],
    ['GET', () => `/v1/conversations/${bConv}/messages`],
    ['POST', () => `/v1/conversations/${bConv}/messages`, { content: 'injected' }],
    ['DELETE', () => `/v1/api-keys/${bKeyId}`],
    ['GET', () => `/v1/conversations/${bConv}/turns`],
    ['GET', () => `/v1/turns/${bTurn}`],
  ];

  it.each(routes)('%s %s answers 404', async (method, url, body) => {
    const res = await withSession(s, method, url(), body);
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('B secret');
    expect(res.body).not.toContain('B only');
  });

  it('lists, searches and usage show only A', async () => {
    for (const url of ['/v1/conversations', '/v1/conversations?externalId=b-ext', '/v1/conversations?titleContains=B%20only']) {
      expect((await withSession(s, 'GET', url)).json().data).toEqual([]);
    }
    const keys = (await withSession(s, 'GET', '/v1/api-keys')).json().data;
    expect(keys.map((k: { id: string }) => k.id)).not.toContain(bKeyId);
    expect((await withSession(s, 'GET', `/v1/conversations/${bConv}/messages`)).statusCode).toBe(404);
    const ownKeys = (await h.call(b.key, 'GET', '/v1/api-keys')).json().data;
    expect(ownKeys.find((k: { id: string }) => k.id === bKeyId).revokedAt).toBeNull();
  });

  it('cannot use the ops API', async () => {
    expect((await withSession(s, 'GET', '/v1/admin/tenants')).statusCode).toBe(401);
    expect((await withSession(s, 'POST', `/v1/admin/tenants/${b.id}/suspend`)).statusCode).toBe(401);
  });
});

describe('CSRF', () => {
  it('refuses a write without the header or with a wrong one, and takes it with the right one', async () => {
    const s = await signIn({ apiKey: a.key });
    const before = (await withSession(s, 'GET', '/v1/conversations')).json().data.length;
    for (const csrf of [null, '', 'f'.repeat(64), (await signIn({ apiKey: a.key })).csrf]) {
      const res = await withSession(s, 'POST', '/v1/conversations', { title: 'forged' }, csrf);
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await withSession(s, 'DELETE', '/v1/dashboard/session', undefined, null)).statusCode).toBe(403);
    expect((await withSession(s, 'GET', '/v1/conversations')).json().data.length).toBe(before);
    expect((await withSession(s, 'POST', '/v1/conversations', { title: 'mine' })).statusCode).toBe(201);
  });
});

describe('ending a session', () => {
  it('sign-out revokes it at once', async () => {
    const s = await signIn({ apiKey: a.key });
    expect((await withSession(s, 'GET', '/v1/conversations')).statusCode).toBe(200);
    const out = await withSession(s, 'DELETE', '/v1/dashboard/session');
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/warren_session=;/);
    expect((await withSession(s, 'GET', '/v1/conversations')).statusCode).toBe(401);
  });

  it('revoking the key it was opened with ends it', async () => {
    const second = (await h.call(a.key, 'POST', '/v1/api-keys', { name: 'for-session' })).json();
    const s = await signIn({ apiKey: second.key });
    expect((await withSession(s, 'GET', '/v1/conversations')).statusCode).toBe(200);
    expect((await h.call(a.key, 'DELETE', `/v1/api-keys/${second.id}`)).statusCode).toBe(204);
    expect((await withSession(s, 'GET', '/v1/conversations')).statusCode).toBe(401);
  });
});

describe('session quota', () => {
  it(`keeps at most ${MAX_SESSIONS_PER_SUBJECT} live sessions per key: signing in again ends the oldest, and ended ones are deleted`, async () => {
    const key = (await h.call(a.key, 'POST', '/v1/api-keys', { name: 'many-sign-ins' })).json();
    const first = await signIn({ apiKey: key.key });
    await withSession(first, 'DELETE', '/v1/dashboard/session');
    const sessions: Session[] = [];
    for (let i = 0; i <= MAX_SESSIONS_PER_SUBJECT; i++) sessions.push(await signIn({ apiKey: key.key }));
    expect((await withSession(sessions[0]!, 'GET', '/v1/conversations')).statusCode).toBe(401);
    for (const s of sessions.slice(1)) expect((await withSession(s, 'GET', '/v1/conversations')).statusCode).toBe(200);
    const rows = await h.db.pool.query('SELECT count(*)::int AS n FROM control.dashboard_sessions WHERE api_key_id = $1', [key.id]);
    expect(rows.rows[0].n).toBe(MAX_SESSIONS_PER_SUBJECT);
  });
});

describe('tenant removal', () => {
  it('deletes a tenant that has dashboard sessions; they end with it', async () => {
    const doomed = await h.tenant('doomed');
    const s = await signIn({ apiKey: doomed.key });
    expect(await deleteTenant(h.db.pool, doomed.id)).toBe(true);
    expect((await withSession(s, 'GET', '/v1/conversations')).statusCode).toBe(401);
  });
});

describe('ops sessions', () => {
  it('reach the ops API (writes with the CSRF header only) and no tenant route', async () => {
    const s = await signIn({ opsToken: OPS_TOKEN });
    expect((await withSession(s, 'GET', '/v1/admin/tenants')).statusCode).toBe(200);
    expect((await withSession(s, 'GET', '/v1/admin/queues')).statusCode).toBe(200);
    expect((await withSession(s, 'POST', `/v1/admin/tenants/${b.id}/suspend`, undefined, null)).statusCode).toBe(403);
    expect((await h.call(b.key, 'GET', '/v1/conversations')).statusCode).toBe(200);
    expect((await withSession(s, 'GET', '/v1/conversations')).statusCode).toBe(401);
  });
});

describe('event streams with a session', () => {
  it("streams a conversation's events to the session cookie (the dashboard's EventSource), and no other tenant's", async () => {
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const s = await signIn({ apiKey: a.key });
    const conv = (await h.call(a.key, 'POST', '/v1/conversations', { trigger: { mode: 'never' } })).json().id;
    const abort = new AbortController();
    const res = await fetch(`${base}/v1/conversations/${conv}/events`, {
      headers: { cookie: s.cookie, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const posted = await h.call(a.key, 'POST', `/v1/conversations/${conv}/messages`, { content: 'streamed to the cookie' });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('streamed to the cookie')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    abort.abort();
    expect(text).toMatch(/^event: message\.created$/m);
    expect(text).toContain(posted.json().id);

    const bConv = (await h.call(b.key, 'POST', '/v1/conversations', { title: 'B stream' })).json().id;
    expect((await withSession(s, 'GET', `/v1/conversations/${bConv}/events`)).statusCode).toBe(404);
    expect((await withSession(s, 'DELETE', '/v1/dashboard/session')).statusCode).toBe(204);
    expect((await withSession(s, 'GET', `/v1/conversations/${conv}/events`)).statusCode).toBe(401);
  });
});

describe('TRUST_PROXY', () => {
  it('is false by default, true, a number of hops, or proxy addresses and ranges; anything else is refused', () => {
    const parse = (value?: string) => trustProxySetting.safeParse(value);
    expect(apiConfigSchema.shape.TRUST_PROXY.parse(undefined)).toBe(false);
    expect(parse('true').data).toBe(true);
    expect(parse('false').data).toBe(false);
    expect(parse('2').data).toBe(2);
    expect(parse('10.0.0.0/8, loopback,::1').data).toEqual(['10.0.0.0/8', 'loopback', '::1']);
    for (const bad of ['yes', '0', '101', '10.0.0.0/33', '300.1.1.1', 'proxy.example', '10.0.0.1,', '']) {
      expect(parse(bad).success, bad).toBe(false);
    }
  });

  it('behind a trusted TLS-terminating proxy, X-Forwarded-Proto: https makes the session cookie Secure; untrusted, it is ignored', async () => {
    const viaProxy = { 'x-forwarded-proto': 'https' };
    const signInWith = (app: typeof h.app, apiKey: string, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/v1/dashboard/session', payload: { apiKey }, headers });
    const untrusted = await signInWith(h.app, a.key, viaProxy);
    expect(untrusted.statusCode).toBe(201);
    expect(String(untrusted.headers['set-cookie'])).not.toMatch(/;\s*Secure/i);

    const proxied = await startApiHarness({ TRUST_PROXY: trustProxySetting.parse('loopback') }); // inject comes from 127.0.0.1
    try {
      const t = await proxied.tenant('behind-a-proxy');
      const secure = await signInWith(proxied.app, t.key, viaProxy);
      expect(secure.statusCode).toBe(201);
      expect(String(secure.headers['set-cookie'])).toMatch(/;\s*Secure/i);
      const plain = await signInWith(proxied.app, t.key, {});
      expect(String(plain.headers['set-cookie'])).not.toMatch(/;\s*Secure/i);
    } finally {
      await proxied.close();
    }
  });
});
