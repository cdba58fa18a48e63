import type { Problem, WarrenClient } from '@warren/client';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from './harness.ts';

// packages/client against the real API over HTTP: typed bodies, typed problem+json errors.

let h: ApiHarness;
let warren: WarrenClient;

beforeAll(async () => {
  h = await startApiHarness();
  warren = await h.client((await h.tenant('client')).key);
});
afterAll(() => h.close());

describe('@warren/client against the API', () => {
  it('types error answers as problem details', async () => {
    const missing = await warren.GET('/v1/conversations/{id}', { params: { path: { id: 'conv_01jz0000000000000000000000' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.data).toBeUndefined();
    const problem: Problem | undefined = missing.error;
    expect(problem).toMatchObject({ type: 'urn:warren:problem:not-found', status: 404, detail: 'conversation not found' });
    expect(missing.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const unauthorized = await (await h.client('wrn_not-a-key')).GET('/v1/conversations', { params: { query: {} } });
    expect(unauthorized.error?.type).toBe('urn:warren:problem:unauthorized');
  });

  it('creates an inbound hook; a signed delivery to its path lands as a message', async () => {
    const conv = (await warren.POST('/v1/conversations', { body: { title: 'CI' } })).data!;
    const hook = await warren.POST('/v1/inbound-hooks', {
      body: { name: 'ci', conversation: { id: conv.id }, text: { template: '{{/job}} failed' } },
    });
    expect(hook.response.status).toBe(201);
    const { path, secret } = hook.data!;

    const body = JSON.stringify({ job: 'build' });
    const at = new Date();
    const delivered = await fetch(new URL(path, hook.response.url), {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'evt_1',
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign('evt_1', at, body),
      },
    });
    expect(delivered.status).toBe(201);
    const messages = await warren.GET('/v1/conversations/{id}/messages', { params: { path: { id: conv.id }, query: {} } });
    expect(messages.data!.data.map((m) => m.content)).toEqual(['build failed']);

    const listed = await warren.GET('/v1/inbound-hooks', { params: { query: {} } });
    expect(listed.data!.data.map((x) => x.id)).toEqual([hook.data!.id]);
    expect(JSON.stringify(listed.data)).not.toContain(secret);
  });
});
