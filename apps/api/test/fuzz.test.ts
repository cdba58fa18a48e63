import type { AddressInfo } from 'node:net';
import { generateProxyKeyPair } from '@warren/credentials';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';
import { encodeAll, hostileString, type Schema, valueFor } from './openapi-arbitraries.ts';

// Requests generated from the app's own OpenAPI document (/docs/json): mostly valid enough to
// reach the database, the rest hostile. No answer may be a 5xx, and every error is problem+json.
// Most go through inject; every 100th over a real socket.

const REQUESTS = 10_000;
const CONCURRENCY = 8;
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

interface Operation {
  method: string;
  path: string;
  params: { in: string; name: string; schema: Schema }[];
  body?: Schema;
}

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

let h: ApiHarness;
let base: string;
let tenantKey: string;
const known: Record<string, string[]> = { ten_: [], conv_: [], key_: [], turn_: ['turn_01h2xcejqtf2nbrexx3vqjhp41'] };

beforeAll(async () => {
  h = await startApiHarness({ PROXY_PUBLIC_KEY: (await generateProxyKeyPair()).publicKey });
  tenantKey = (await h.tenant('fuzzed')).key;
  // Tenants for the admin routes to suspend and re-limit; the fuzzed tenant itself stays active.
  for (let i = 0; i < 3; i++) known.ten_!.push((await h.tenant(`admin-target-${i}`)).id);
  for (let i = 0; i < 3; i++)
    known.conv_!.push((await h.call(tenantKey, 'POST', '/v1/conversations', { trigger: { mode: i ? 'mention' : 'always' } })).json().id);
  for (let i = 0; i < 3; i++) known.key_!.push((await h.call(tenantKey, 'POST', '/v1/api-keys', { name: `spare-${i}` })).json().id);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});
afterAll(() => h.close());

const knownFor = (pattern: string) => Object.entries(known).find(([prefix]) => pattern.startsWith(`^${prefix}`))?.[1] ?? [];

function operations(doc: {
  paths: Record<
    string,
    Record<string, { parameters?: Operation['params']; requestBody?: { content: Record<string, { schema: Schema }> } }>
  >;
}) {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(
      ([method, op]): Operation => ({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        body: op.requestBody?.content['application/json']?.schema,
      }),
    ),
  );
}

const urlSafe = (v: unknown) =>
  typeof v === 'string' && /^[\w-]+$/.test(v) ? v : encodeAll(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

const rawQueries = fc.constantFrom(
  '?%',
  '?a=%ZZ',
  '?limit=1&limit=2',
  '?after[]=1',
  '?externalId=',
  '?limit=1e400',
  '?api_key=wrn_leak',
  `?${'q'.repeat(3000)}=1`,
);
const rawPathParams = fc.constantFrom('%E0%A4%A', '%', 'c'.repeat(150), '..', '%2e%2e', encodeAll('\u0000'));
const rawBodies = fc.constantFrom(
  '{',
  '[]',
  '',
  ' ',
  'null',
  '"x"',
  '{"a":1}{',
  '\u0000',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '['.repeat(5_000),
  `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`,
);

function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const pathArb = fc.tuple(
    ...pathParams.map((p) =>
      fc.oneof({ weight: 8, arbitrary: valueFor(p.schema, knownFor).map(urlSafe) }, { weight: 1, arbitrary: rawPathParams }),
    ),
  );
  const queryArb = fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(...queryParams.map((p) => fc.option(valueFor(p.schema, knownFor).map((v) => `${p.name}=${urlSafe(v)}`))))
        .map((parts) => {
          const q = parts.filter(Boolean).join('&');
          return q ? `?${q}` : '';
        }),
    },
    { weight: 1, arbitrary: rawQueries },
    { weight: 1, arbitrary: hostileString.map((k) => `?${encodeAll(k)}=1`) },
  );
  const bodyArb: fc.Arbitrary<{ payload?: string; type?: string }> = op.body
    ? fc.oneof(
        {
          weight: 10,
          arbitrary: valueFor(op.body, knownFor).map((v) => ({ payload: JSON.stringify(v) ?? 'null', type: 'application/json' })),
        },
        { weight: 1, arbitrary: rawBodies.map((payload) => ({ payload, type: 'application/json' })) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            { payload: '<x/>', type: 'text/xml' },
            { payload: 'a=b', type: 'application/x-www-form-urlencoded' },
            {},
          ),
        },
      )
    : fc.oneof(
        { weight: 8, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: rawBodies.map((payload) => ({ payload, type: 'application/json' })) },
      );
  const admin = op.path.startsWith('/v1/admin');
  const authArb = fc.oneof(
    { weight: 12, arbitrary: fc.constant(admin ? OPS_TOKEN : tenantKey) },
    { weight: 1, arbitrary: fc.constantFrom(admin ? tenantKey : OPS_TOKEN, 'wrn_forged', '', 'x'.repeat(300)) },
  );
  const idemArb = fc.option(
    fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }), fc.constantFrom('k'.repeat(300), 'has spaces')),
    { freq: 3 },
  );
  return fc
    .record({ path: pathArb, query: queryArb, body: bodyArb, auth: authArb, idem: idemArb })
    .map(({ path, query, body, auth, idem }) => {
      let i = 0;
      const url = op.path.replace(/\{[^}]+\}/g, () => path[i++] as string) + query;
      const headers: Record<string, string> = {};
      if (auth) headers.authorization = `Bearer ${auth}`;
      if (body.type) headers['content-type'] = body.type;
      if (idem !== null) headers['idempotency-key'] = idem;
      return { method: op.method, url, headers, ...(body.payload === undefined ? {} : { payload: body.payload }) };
    });
}

/** Provisioning a tenant is a schema and its tables: fuzz it less, everything else alike. */
const weightOf = (op: Operation) => (op.method === 'POST' && op.path === '/v1/admin/tenants' ? 1 : op.path.startsWith('/docs') ? 1 : 10);

async function send(req: FuzzRequest, overSocket: boolean): Promise<{ status: number; type: string; body: string }> {
  if (overSocket) {
    const res = await fetch(base + req.url, { method: req.method, headers: req.headers, body: req.payload });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  }
  const res = await h.app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, payload: req.payload });
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), body: res.body };
}

function problemWrong(res: { status: number; type: string; body: string }): string | null {
  if (res.status >= 500) return `status ${res.status}`;
  if (res.status < 400) return null;
  if (!res.type.startsWith('application/problem+json')) return `content-type ${res.type}`;
  const problem = JSON.parse(res.body) as { type?: unknown; title?: unknown; status?: unknown };
  if (
    typeof problem.type !== 'string' ||
    !problem.type.startsWith('urn:warren:problem:') ||
    typeof problem.title !== 'string' ||
    problem.status !== res.status
  ) {
    return `not a problem document: ${res.body.slice(0, 200)}`;
  }
  return null;
}

describe('fuzzing the API from its OpenAPI document', () => {
  it(`${REQUESTS} generated requests: no 5xx, every error problem+json (seed ${seed})`, { timeout: 240_000 }, async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    // Event streams never end by themselves; their bad input is probed in events.test.ts.
    const ops = operations(doc).filter((op) => !op.path.startsWith('/docs') && !op.path.endsWith('/events'));
    expect(ops.length).toBeGreaterThan(20);
    const requests = fc.sample(fc.oneof(...ops.map((op) => ({ weight: weightOf(op), arbitrary: requestFor(op) }))), {
      numRuns: REQUESTS,
      seed,
    });

    const started = performance.now();
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const n = next++;
          const req = requests[n]!;
          // fetch cannot send a body with GET; those stay on inject.
          const res = await send(req, n % 100 === 0 && !(req.method === 'GET' && req.payload !== undefined));
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const wrong = problemWrong(res);
          if (wrong)
            failures.push(`${wrong}: ${req.method} ${req.url.slice(0, 200)} ${JSON.stringify(req.headers)} ${req.payload?.slice(0, 300)}`);
        }
      }),
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `fuzz: ${requests.length} requests in ${seconds} s (seed ${seed}); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
    );
    expect(failures.slice(0, 20), `seed ${seed}`).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
  });
});
