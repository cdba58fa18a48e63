import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

// The rate limit is per key, so a tenant minting keys multiplies it; conversations each cost a
// sandbox and a workspace. Both are counted per tenant, race-safe, and ops can move the limit.

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness({ DEFAULT_MAX_API_KEYS: 3, DEFAULT_MAX_CONVERSATIONS: 4, DEFAULT_MAX_ASSISTANTS: 2 });
});
afterAll(() => h.close());

const expectQuotaProblem = (
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  type: string,
  quota: string,
  limit: number,
) => {
  expect(res.statusCode).toBe(409);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ type: `urn:warren:problem:${type}`, status: 409, quota, limit });
};

describe('API keys per tenant', () => {
  it('counts unrevoked keys against the default quota; revoking frees a slot', async () => {
    const t = await h.tenant(); // its first key counts
    const made = [];
    for (let i = 0; i < 2; i++) made.push(await h.call(t.key, 'POST', '/v1/api-keys', { name: `k${i}` }));
    expect(made.map((r) => r.statusCode)).toEqual([201, 201]);
    expectQuotaProblem(await h.call(t.key, 'POST', '/v1/api-keys', { name: 'one too many' }), 'api-key-quota-exceeded', 'maxApiKeys', 3);

    expect((await h.call(t.key, 'DELETE', `/v1/api-keys/${made[0]!.json().id}`)).statusCode).toBe(204);
    expect((await h.call(t.key, 'POST', '/v1/api-keys', { name: 'again' })).statusCode).toBe(201);
  });

  it('holds under concurrent requests', async () => {
    const t = await h.tenant();
    const codes = (await Promise.all(Array.from({ length: 12 }, (_, i) => h.call(t.key, 'POST', '/v1/api-keys', { name: `c${i}` })))).map(
      (r) => r.statusCode,
    );
    expect(codes.filter((c) => c === 201)).toHaveLength(2);
    expect(codes.filter((c) => c === 409)).toHaveLength(10);
    const { rows } = await h.db.pool.query('SELECT count(*)::int AS n FROM control.api_keys WHERE tenant_id = $1 AND revoked_at IS NULL', [
      t.id,
    ]);
    expect(rows[0].n).toBe(3);
  });

  it("follows the tenant's own maxApiKeys, and null returns it to the default", async () => {
    const t = await h.tenant();
    expect((await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${t.id}`, { maxApiKeys: 1 })).statusCode).toBe(200);
    expectQuotaProblem(await h.call(t.key, 'POST', '/v1/api-keys', { name: 'x' }), 'api-key-quota-exceeded', 'maxApiKeys', 1);
    expect((await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${t.id}`, { maxApiKeys: null })).statusCode).toBe(200);
    expect((await h.call(t.key, 'POST', '/v1/api-keys', { name: 'x' })).statusCode).toBe(201);
  });
});

describe('conversations per tenant', () => {
  it('refuses the conversation past the quota, also when they race, and only for that tenant', async () => {
    const t = await h.tenant();
    const other = await h.tenant();
    const codes = (await Promise.all(Array.from({ length: 10 }, () => h.call(t.key, 'POST', '/v1/conversations', {})))).map(
      (r) => r.statusCode,
    );
    expect(codes.filter((c) => c === 201)).toHaveLength(4);
    expect(codes.filter((c) => c === 409)).toHaveLength(6);
    expectQuotaProblem(await h.call(t.key, 'POST', '/v1/conversations', {}), 'conversation-quota-exceeded', 'maxConversations', 4);
    expect((await h.call(other.key, 'POST', '/v1/conversations', {})).statusCode).toBe(201);
  });

  it("follows the tenant's own maxConversations at once", async () => {
    const t = await h.tenant();
    expect((await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${t.id}`, { maxConversations: 1 })).statusCode).toBe(200);
    expect((await h.call(t.key, 'POST', '/v1/conversations', {})).statusCode).toBe(201);
    expectQuotaProblem(await h.call(t.key, 'POST', '/v1/conversations', {}), 'conversation-quota-exceeded', 'maxConversations', 1);
    expect((await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${t.id}`, { maxConversations: 5 })).statusCode).toBe(200);
    expect((await h.call(t.key, 'POST', '/v1/conversations', {})).statusCode).toBe(201);
  });
});

describe('assistants per tenant', () => {
  it('refuses the assistant past the quota, also when they race; ops can move it', async () => {
    const t = await h.tenant();
    const codes = (
      await Promise.all(Array.from({ length: 6 }, (_, i) => h.call(t.key, 'POST', '/v1/assistants', { name: `a${i}`, instructions: 'x' })))
    ).map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(2);
    expectQuotaProblem(
      await h.call(t.key, 'POST', '/v1/assistants', { name: 'more', instructions: 'x' }),
      'assistant-quota-exceeded',
      'maxAssistants',
      2,
    );
    expect((await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${t.id}`, { maxAssistants: 3 })).statusCode).toBe(200);
    expect((await h.call(t.key, 'POST', '/v1/assistants', { name: 'more', instructions: 'x' })).statusCode).toBe(201);
  });
});

describe('every per-tenant limit through the ops API', () => {
  const limits = {
    monthlyTokenBudget: 5_000_000_000,
    requestsPerMinute: 600,
    maxConcurrentTurns: 4,
    maxApiKeys: 50,
    maxConversations: 2_000_000_000,
    maxAssistants: 500,
    workspaceBytes: 10 * 1024 ** 3,
    turnMaxOutputs: 20,
    turnMaxOutputBytes: 1024 * 1024,
    sandboxCpuPercent: 150,
  };
  const nulls = Object.fromEntries(Object.keys(limits).map((k) => [k, null]));

  it('set at creation, shown by GET, changed or reset to null by PATCH', async () => {
    const created = await h.call(OPS_TOKEN, 'POST', '/v1/admin/tenants', { name: 'limited', ...limits });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().tenant.id;
    expect(created.json().tenant).toMatchObject(limits);
    expect((await h.call(OPS_TOKEN, 'GET', `/v1/admin/tenants/${id}`)).json()).toMatchObject(limits);

    const patched = await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${id}`, { workspaceBytes: null, sandboxCpuPercent: 50 });
    expect(patched.json()).toMatchObject({ ...limits, workspaceBytes: null, sandboxCpuPercent: 50 });

    expect((await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${id}`, nulls)).json()).toMatchObject(nulls);
    const { rows } = await h.db.pool.query(
      'SELECT workspace_bytes, turn_max_outputs, sandbox_cpu_percent FROM control.tenants WHERE id = $1',
      [id],
    );
    expect(rows[0]).toEqual({ workspace_bytes: null, turn_max_outputs: null, sandbox_cpu_percent: null });
  });

  it('a new tenant shows every limit as null (the default)', async () => {
    const { id } = await h.tenant();
    expect((await h.call(OPS_TOKEN, 'GET', `/v1/admin/tenants/${id}`)).json()).toMatchObject(nulls);
  });
});
