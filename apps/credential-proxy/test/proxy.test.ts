import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import { createLogger } from '@warren/core';
import { generateProxyKeyPair, mintTurnToken, type ProxyKeyPair, sealForProxy } from '@warren/credentials';
import { controlDb, withTenant } from '@warren/db';
import { type FakeAnthropic, startFakeAnthropic } from '@warren/fake-anthropic';
import { provisionTenant, storeCredential } from '@warren/tenancy';
import { createTestDatabase, freePort, openTurn, type TestDatabase } from '@warren/testkit';
import { commitTurn } from '@warren/turns';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyConfigSchema } from '../src/config.ts';
import { type RunningProxy, startProxy } from '../src/start.ts';

const PLATFORM_KEY = 'sk-ant-platform-key-that-must-never-leak-0001';
const TENANT_OWN_KEY = 'sk-ant-tenant-own-key-that-must-never-leak-0002';
const TOKEN_SECRET = 'proxy-token-secret-for-tests-0123456789abcdef';
const MODEL = 'claude-test-1';

let db: TestDatabase;
let dir: string;
let fake: FakeAnthropic;
let fakePort: number;
let proxy: RunningProxy;
let keys: ProxyKeyPair;
const logLines: string[] = [];
const tokens: string[] = [];
let tenant: { id: string };
let ownKeyTenant: { id: string };

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const BODY_LIMIT = 1024 * 1024;
function mint(tenantId: string, turn = { turnId: 'turn_none', attempt: 1 }, expiresAt = inAnHour()) {
  const t = mintTurnToken(TOKEN_SECRET, {
    tenantId,
    sandboxId: `sbx-${tokens.length}`,
    turnId: turn.turnId,
    attempt: turn.attempt,
    expiresAt,
  });
  tokens.push(t);
  return t;
}
/** The token of a new running turn of the tenant, as a worker hands it to its sandbox. */
async function token(tenantId: string) {
  return mint(tenantId, await openTurn(db.pool, tenantId));
}

/** The SDK, unchanged, talking to the proxy over its unix socket. */
function client(apiKey: string) {
  const dispatcher = new Agent({ connect: { socketPath: proxy.socketPath } });
  return new Anthropic({
    apiKey,
    baseURL: 'http://credential-proxy',
    fetch: undiciFetch as unknown as typeof fetch,
    // undici's own fetch takes its dispatcher; the SDK passes fetchOptions through untouched
    fetchOptions: { dispatcher } as NonNullable<ConstructorParameters<typeof Anthropic>[0]>['fetchOptions'],
    maxRetries: 0,
  });
}

/** Polls `probe` every 20 ms until it returns a value, for up to `ms`; throws when it never does. */
async function until<T>(probe: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('gave up waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw request over the socket, for what the SDK would not send. */
async function raw(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const method = init.method ?? 'POST';
  const res = await undiciFetch(`http://credential-proxy${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...init.headers },
    body:
      method === 'GET'
        ? null
        : (init.body ?? JSON.stringify({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })),
    dispatcher: new Agent({ connect: { socketPath: proxy.socketPath } }),
  });
  return { status: res.status, body: (await res.json()) as { type: string; error: { type: string; message: string } } };
}

async function startUpstream() {
  fake = await startFakeAnthropic({ port: fakePort });
}

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'warren-proxy-test-'));
  keys = await generateProxyKeyPair();
  fakePort = await freePort();
  await startUpstream();
  tenant = (await provisionTenant(db.pool, { name: 'platform-key tenant' })).tenant;
  ownKeyTenant = (await provisionTenant(db.pool, { name: 'own-key tenant' })).tenant;
  await storeCredential(controlDb(db.pool), ownKeyTenant.id, 'anthropic', await sealForProxy(keys.publicKey, TENANT_OWN_KEY), '0002');

  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const config = proxyConfigSchema.parse({
    DATABASE_URL: db.url,
    PROXY_SOCKET_PATH: join(dir, 'proxy.sock'),
    PROXY_TOKEN_SECRET: TOKEN_SECRET,
    PROXY_PUBLIC_KEY: keys.publicKey,
    PROXY_SECRET_KEY: keys.secretKey,
    ANTHROPIC_API_KEY: PLATFORM_KEY,
    ANTHROPIC_UPSTREAM: fake.url,
    USAGE_FLUSH_MS: '50',
    PROXY_BODY_LIMIT_BYTES: String(BODY_LIMIT),
    LOG_LEVEL: 'trace',
  });
  proxy = await startProxy(config, createLogger('credential-proxy', { level: 'trace' }, sink));
});

afterAll(async () => {
  await proxy?.close();
  await fake?.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('credential proxy over its unix socket', () => {
  it('serves the SDK unchanged: non-streaming', async () => {
    const message = await client(await token(tenant.id)).messages.create({
      model: MODEL,
      max_tokens: 200,
      messages: [{ role: 'user', content: 'hello through the proxy' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('hello through the proxy') });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
  });

  it('serves the SDK unchanged: streaming', async () => {
    const stream = client(await token(tenant.id)).messages.stream({
      model: MODEL,
      max_tokens: 2000,
      messages: [{ role: 'user', content: '#fake long 3000' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types.filter((t) => t === 'content_block_delta').length).toBeGreaterThan(1);
    expect(final.content[0]?.type === 'text' && final.content[0].text.length).toBeGreaterThan(2000);
  });

  it('passes a stream through as it comes, not buffered', async () => {
    // The upstream waits 150 ms between events; a buffering proxy would deliver them all at once.
    const stream = client(await token(tenant.id)).messages.stream({
      model: MODEL,
      max_tokens: 500,
      messages: [{ role: 'user', content: '#fake pace 150\n#fake text one two three' }],
    });
    const arrivals: number[] = [];
    stream.on('streamEvent', () => arrivals.push(performance.now()));
    await stream.finalMessage();
    expect(arrivals.length).toBeGreaterThanOrEqual(6);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(150 * (arrivals.length - 2));
  });

  it('carries a tool_use round trip', async () => {
    const sdk = client(await token(tenant.id));
    const tools = [
      {
        name: 'bash',
        description: 'run a command',
        input_schema: { type: 'object' as const, properties: { command: { type: 'string' } } },
      },
    ];
    const first = await sdk.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools,
      messages: [{ role: 'user', content: '#fake tool bash {"command":"echo 42"}' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((b) => b.type === 'tool_use');
    expect(call).toMatchObject({ name: 'bash', input: { command: 'echo 42' } });
    const second = await sdk.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools,
      messages: [
        { role: 'user', content: '#fake tool bash {"command":"echo 42"}' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call!.type === 'tool_use' ? call!.id : '', content: 'forty-two' }] },
      ],
    });
    expect(JSON.stringify(second.content)).toContain('forty-two');
  });

  it('sends upstream the platform key, or the tenant own key, and never the token', async () => {
    fake.reset();
    const mine = await token(tenant.id);
    const theirs = await token(ownKeyTenant.id);
    await client(mine).messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'a' }] });
    await client(theirs).messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'b' }] });
    expect(fake.requests.map((r) => r.headers['x-api-key'])).toEqual([PLATFORM_KEY, TENANT_OWN_KEY]);
    for (const request of fake.requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(JSON.stringify(request.headers)).not.toContain('wtt1.');
    }
  });
});

describe('refusals', () => {
  it.each([
    ['no token', () => ({})],
    ['a real-looking provider key', () => ({ 'x-api-key': 'sk-ant-api03-whatever' })],
    ['a malformed token', () => ({ 'x-api-key': 'wst1.not-a-token' })],
    [
      'a token signed with another secret',
      () => ({
        'x-api-key': mintTurnToken('another-secret-0123456789-0123456789', {
          tenantId: tenant.id,
          sandboxId: 's',
          turnId: 'turn_x',
          attempt: 1,
          expiresAt: inAnHour(),
        }),
      }),
    ],
    ['an expired token', () => ({ 'x-api-key': mint(tenant.id, undefined, Math.floor(Date.now() / 1000) - 1) })],
    [
      'a token moved to another tenant',
      () => {
        const [prefix, , signature] = mint(tenant.id).split('.');
        const claims = Buffer.from(JSON.stringify({ t: ownKeyTenant.id, s: 'sbx', u: 'turn_none', a: 1, e: inAnHour() })).toString(
          'base64url',
        );
        return { 'x-api-key': `${prefix}.${claims}.${signature}` };
      },
    ],
    ['a valid token of a tenant that does not exist', () => ({ 'x-api-key': mint('ten_01h2xcejqtf2nbrexx3vqjhp41') })],
    ['an old sandbox token', () => ({ 'x-api-key': 'wst1.eyJ0IjoidGVuXzAxIn0.c2ln' })],
  ])('refuses %s with 401 before calling upstream', async (_name, headers) => {
    fake.reset();
    const res = await raw('/v1/messages', { headers: headers() });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(fake.requests).toHaveLength(0);
  });

  it('forwards only the Messages API', async () => {
    fake.reset();
    const auth = { 'x-api-key': await token(tenant.id) };
    for (const [method, path] of [
      ['GET', '/v1/models'],
      ['POST', '/v1/complete'],
      ['POST', '/v1/messages/batches'],
      ['POST', '/v1/files'],
      ['GET', '/v1/messages'],
    ]) {
      const res = await raw(path!, { method, headers: auth });
      expect(res.status).toBe(403);
      expect(res.body.error.type).toBe('permission_error');
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a suspended tenant with 403', async () => {
    const { tenant: t } = await provisionTenant(db.pool, { name: 'to suspend' });
    await db.pool.query(`UPDATE control.tenants SET status = 'suspended' WHERE id = $1`, [t.id]);
    fake.reset();
    const res = await raw('/v1/messages', { headers: { 'x-api-key': mint(t.id) } });
    expect(res.status).toBe(403);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('metering and budgets', () => {
  it('writes usage rows equal to what the upstream reported', async () => {
    const { tenant: t } = await provisionTenant(db.pool, { name: 'metered' });
    const sdk = client(await token(t.id));
    let input = 0;
    let output = 0;
    for (const content of ['one', 'two two', '#fake long 800']) {
      const m = await sdk.messages.create({ model: MODEL, max_tokens: 1000, messages: [{ role: 'user', content }] });
      input += m.usage.input_tokens;
      output += m.usage.output_tokens;
    }
    const streamed = await sdk.messages
      .stream({ model: MODEL, max_tokens: 1000, messages: [{ role: 'user', content: '#fake long 500' }] })
      .finalMessage();
    input += streamed.usage.input_tokens;
    output += streamed.usage.output_tokens;

    await proxy.meter.flush();
    const { rows } = await db.pool.query(
      'SELECT sum(requests)::int AS requests, sum(input_tokens)::int AS input, sum(output_tokens)::int AS output, min(model) AS model FROM control.usage WHERE tenant_id = $1',
      [t.id],
    );
    expect(rows[0]).toEqual({ requests: 4, input, output, model: MODEL });
  });

  it('refuses over the requests-per-minute budget before calling upstream', async () => {
    const { tenant: t } = await provisionTenant(db.pool, { name: 'slow lane', requestsPerMinute: 2 });
    const sdk = client(await token(t.id));
    const send = () => sdk.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] });
    await send();
    await send();
    fake.reset();
    const refused = await send().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect((refused as Error).message).toMatch(/2 requests per minute/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('budgets that hold', () => {
  const usageOf = async (tenantId: string) => {
    await proxy.meter.flush();
    const { rows } = await db.pool.query(
      'SELECT coalesce(sum(input_tokens + output_tokens), 0)::int AS tokens FROM control.usage WHERE tenant_id = $1',
      [tenantId],
    );
    return rows[0].tokens as number;
  };

  it('refuses a call whose worst case exceeds what is left of the budget, before calling upstream', async () => {
    const { tenant: t } = await provisionTenant(db.pool, { name: 'budget 3000', monthlyTokenBudget: 3000 });
    fake.reset();
    const refused = await client(await token(t.id))
      .messages.stream({ model: MODEL, max_tokens: 100_000, messages: [{ role: 'user', content: '#fake long 400000' }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect((refused as Error).message).toMatch(
      /monthly token budget exceeded: this call could use \d+ tokens .* 3000 of the monthly budget of 3000 are left/,
    );
    expect(fake.requests).toHaveLength(0);
    expect(await usageOf(t.id)).toBe(0);
  });

  it('refuses a body without a valid max_tokens (400), with content it cannot bound (400), or too large (413)', async () => {
    fake.reset();
    const auth = { 'x-api-key': await token(tenant.id) };
    const messages = [{ role: 'user', content: 'hi' }];
    for (const body of [
      { model: MODEL, messages },
      { model: MODEL, max_tokens: 'plenty', messages },
      { model: MODEL, max_tokens: 0, messages },
      {
        model: MODEL,
        max_tokens: 10,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'http://x/y.png' } }] }],
      },
      { model: MODEL, max_tokens: 10, messages, tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
    ]) {
      const res = await raw('/v1/messages', { headers: auth, body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(res.body.error.type).toBe('invalid_request_error');
    }
    const huge = await raw('/v1/messages', {
      headers: auth,
      body: JSON.stringify({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'x'.repeat(BODY_LIMIT) }] }),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.type).toBe('request_too_large');
    expect(fake.requests).toHaveLength(0);
  });

  it('serves 20 concurrent calls only as far as the budget holds: spend never exceeds it', async () => {
    const budget = 20_000;
    const { tenant: t } = await provisionTenant(db.pool, { name: 'concurrent', monthlyTokenBudget: budget });
    const sdk = client(await token(t.id));
    fake.reset();
    // each answer is 4,000 output tokens; each call's worst case ~5,100 (input bound + max_tokens)
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        sdk.messages
          .create({ model: MODEL, max_tokens: 4000, messages: [{ role: 'user', content: '#fake long 16000' }] })
          .catch((e: unknown) => e),
      ),
    );
    const served = results.filter((r): r is Anthropic.Message => !(r instanceof Error));
    const refused = results.filter((r) => r instanceof Anthropic.RateLimitError);
    expect(served.length + refused.length).toBe(20);
    expect(served.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    const spent = served.reduce((sum, m) => sum + m.usage.input_tokens + m.usage.output_tokens, 0);
    expect(fake.requests).toHaveLength(served.length);
    expect(await usageOf(t.id)).toBe(spent);
    expect(spent).toBeLessThanOrEqual(budget);
  });

  it('meters a stream cut before its end by the content it streamed, not as 1 token', async () => {
    const { tenant: t } = await provisionTenant(db.pool, { name: 'cut streams' });
    const turn = await openTurn(db.pool, t.id);
    const stream = client(mint(t.id, turn)).messages.stream({
      model: MODEL,
      max_tokens: 2000,
      messages: [{ role: 'user', content: '#fake pace 10\n#fake long 4000' }],
    });
    let received = 0;
    let deltas = 0;
    stream.on('text', (text) => {
      received += Buffer.byteLength(text);
      if (++deltas === 10) stream.abort(); // long before message_delta
    });
    expect(await stream.finalMessage().catch((e: unknown) => e)).toBeInstanceOf(Error);
    const metered = await until(() => proxy.meter.spentBy(t.id) || undefined);
    await proxy.meter.flush();
    const { rows } = await db.pool.query(
      'SELECT sum(input_tokens)::int AS input, sum(output_tokens)::int AS output FROM control.usage WHERE tenant_id = $1',
      [t.id],
    );
    expect(rows[0].output).toBeGreaterThanOrEqual(received);
    expect(rows[0].output).toBeLessThanOrEqual(2000);
    expect(rows[0].input + rows[0].output).toBe(metered);
    // and the same figure is on the turn
    const usage = await withTenant(
      db.pool,
      t.id,
      async (tx) => (await tx.client.query('SELECT usage FROM turns WHERE id = $1', [turn.turnId])).rows[0].usage,
    );
    expect(usage).toEqual({ inputTokens: rows[0].input, outputTokens: rows[0].output });
  });
});

describe('the turn window', () => {
  it('serves a turn while it runs and refuses its token once it ended, before calling upstream', async () => {
    const turn = await openTurn(db.pool, tenant.id);
    const sdk = client(mint(tenant.id, turn));
    const ask = () => sdk.messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'in the turn' }] });
    expect((await ask()).content[0]?.type).toBe('text');
    await withTenant(db.pool, tenant.id, (tx) => commitTurn(tx, turn, { finalText: 'done', finalOutSeq: 0, history: [] }));
    fake.reset();
    const refused = await ask().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((refused as Error).message).toMatch(/this turn is not running/);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a token of an attempt that was taken over, or whose lease lapsed', async () => {
    const turn = await openTurn(db.pool, tenant.id);
    const stale = await raw('/v1/messages', {
      headers: { 'x-api-key': mint(tenant.id, { turnId: turn.turnId, attempt: turn.attempt + 1 }) },
    });
    expect(stale.status).toBe(403);
    await withTenant(db.pool, tenant.id, (tx) =>
      tx.client.query(`UPDATE turns SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [turn.turnId]),
    );
    const lapsed = await raw('/v1/messages', { headers: { 'x-api-key': mint(tenant.id, turn) } });
    expect(lapsed.status).toBe(403);
    expect(lapsed.body.error.type).toBe('permission_error');
  });

  it('adds each call’s usage to its turn before the response ends', async () => {
    const turn = await openTurn(db.pool, tenant.id);
    const sdk = client(mint(tenant.id, turn));
    const one = await sdk.messages.create({ model: MODEL, max_tokens: 500, messages: [{ role: 'user', content: '#fake long 300' }] });
    const two = await sdk.messages
      .stream({ model: MODEL, max_tokens: 500, messages: [{ role: 'user', content: '#fake long 200' }] })
      .finalMessage();
    // read at once: the figure was durable before the answer ended
    const usage = await withTenant(
      db.pool,
      tenant.id,
      async (tx) => (await tx.client.query('SELECT usage FROM turns WHERE id = $1', [turn.turnId])).rows[0].usage,
    );
    expect(usage).toEqual({
      inputTokens: one.usage.input_tokens + two.usage.input_tokens,
      outputTokens: one.usage.output_tokens + two.usage.output_tokens,
    });
  });
});

describe('upstream failures', () => {
  it('passes upstream errors through in the API shape', async () => {
    const err = await client(await token(tenant.id))
      .messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: '#fake error 529' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
  });

  it('answers 502 in the API shape when the upstream is down, and serves again when it is back', async () => {
    await fake.close();
    const res = await raw('/v1/messages', { headers: { 'x-api-key': await token(tenant.id) } });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    await startUpstream();
    const ok = await client(await token(tenant.id)).messages.create({
      model: MODEL,
      max_tokens: 10,
      messages: [{ role: 'user', content: 'back' }],
    });
    expect(ok.content[0]?.type).toBe('text');
  });

  it('drops the upstream call when its client goes away mid-call', async () => {
    const stop = new AbortController();
    const call = client(await token(tenant.id))
      .messages.create(
        { model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: '#fake sleep 10000' }] },
        { signal: stop.signal },
      )
      .catch((err: Error) => err);
    const upstreamCall = await until(() => fake.requests.find((r) => JSON.stringify(r.body).includes('#fake sleep 10000')));
    stop.abort();
    expect(await call).toBeInstanceOf(Error);
    // well before the upstream would have answered, it sees its caller gone
    expect(await until(() => upstreamCall.clientWentAway || undefined, 5000)).toBe(true);
  }, 20_000);

  it('keeps serving other requests while one upstream call is slow', async () => {
    const slow = client(await token(tenant.id)).messages.create({
      model: MODEL,
      max_tokens: 10,
      messages: [{ role: 'user', content: '#fake sleep 1500' }],
    });
    let slowDone = false;
    void slow.then(() => (slowDone = true));
    const quick = await client(await token(ownKeyTenant.id)).messages.create({
      model: MODEL,
      max_tokens: 10,
      messages: [{ role: 'user', content: 'quick' }],
    });
    expect(quick.content[0]?.type).toBe('text');
    expect(slowDone).toBe(false);
    await slow;
  });
});

describe('secrets in logs', () => {
  it('no log line written during the run holds a key or a token', async () => {
    await proxy.meter.flush();
    expect(logLines.length).toBeGreaterThan(10);
    const secrets = [PLATFORM_KEY, TENANT_OWN_KEY, TOKEN_SECRET, keys.secretKey, ...tokens, ...tokens.map((t) => t.split('.')[2]!)];
    const leaks = logLines.filter((line) => secrets.some((s) => line.includes(s)));
    expect(leaks).toEqual([]);
  });
});
