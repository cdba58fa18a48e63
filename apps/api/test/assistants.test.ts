import { withTenant } from '@warren/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from './harness.ts';

// Assistants through the API: immutable versions, conversations following or pinning one.

let h: ApiHarness;
let key: string;
let tenantId: string;
beforeAll(async () => {
  h = await startApiHarness();
  ({ id: tenantId, key } = await h.tenant('assistants'));
});
afterAll(() => h.close());

const call = (method: string, url: string, body?: unknown) => h.call(key, method, url, body);

describe('assistants', () => {
  it('every change is a new version; old versions stay as they were', async () => {
    const created = await call('POST', '/v1/assistants', { name: 'Bea', instructions: 'one', trigger: { mode: 'mention' } });
    expect(created.statusCode).toBe(201);
    const v1 = created.json();
    expect(v1).toMatchObject({ version: 1, model: null, maxTokens: null, tools: null, skills: [], trigger: { mode: 'mention' } });
    const v2 = (await call('PATCH', `/v1/assistants/${v1.id}`, { skills: ['pdf-tools'], maxTokens: 1000 })).json();
    expect(v2).toMatchObject({ id: v1.id, version: 2, instructions: 'one', skills: ['pdf-tools'], maxTokens: 1000 });
    expect(v2.versionId).not.toBe(v1.versionId);
    expect((await call('GET', `/v1/assistants/${v1.id}/versions/1`)).json()).toEqual(v1);
    expect((await call('GET', `/v1/assistants/${v1.id}`)).json()).toEqual(v2);
    const page = (await call('GET', `/v1/assistants/${v1.id}/versions?limit=1`)).json();
    expect(page).toMatchObject({ data: [{ version: 2 }], next: 2 });
    expect((await call('GET', `/v1/assistants/${v1.id}/versions?before=2`)).json().data).toEqual([v1]);
    expect((await call('GET', `/v1/assistants/${v1.id}/versions/3`)).statusCode).toBe(404);
    // not even the tenant's own role may change a version in place
    await expect(
      withTenant(h.db.pool, tenantId, (tx) => tx.client.query(`UPDATE assistant_versions SET instructions = 'changed'`)),
    ).rejects.toThrow(/immutable/);
  });

  it('names are unique per tenant', async () => {
    await call('POST', '/v1/assistants', { name: 'Cy', instructions: 'x' });
    const again = await call('POST', '/v1/assistants', { name: 'Cy', instructions: 'y' });
    expect(again.statusCode).toBe(409);
    const dee = (await call('POST', '/v1/assistants', { name: 'Dee', instructions: 'x' })).json();
    expect((await call('PATCH', `/v1/assistants/${dee.id}`, { name: 'Cy' })).statusCode).toBe(409);
    expect((await call('GET', `/v1/assistants/${dee.id}`)).json().version).toBe(1);
  });

  it('a conversation takes the assistant name and trigger, follows it or pins a version', async () => {
    const asst = (await call('POST', '/v1/assistants', { name: 'Eve', instructions: 'x', trigger: { mode: 'never' } })).json();
    const conv = (await call('POST', '/v1/conversations', { assistantId: asst.id })).json();
    expect(conv).toMatchObject({ assistantName: 'Eve', trigger: { mode: 'never' }, assistantId: asst.id, assistantVersion: null });
    const own = (
      await call('POST', '/v1/conversations', { assistantId: asst.id, assistantName: 'Evie', trigger: { mode: 'always' } })
    ).json();
    expect(own).toMatchObject({ assistantName: 'Evie', trigger: { mode: 'always' } });

    expect((await call('PATCH', `/v1/conversations/${conv.id}`, { assistantVersion: 1 })).json().assistantVersion).toBe(1);
    expect((await call('PATCH', `/v1/conversations/${conv.id}`, { assistantVersion: 9 })).statusCode).toBe(404);
    const other = (await call('POST', '/v1/assistants', { name: 'Fay', instructions: 'x' })).json();
    // another assistant is followed, not pinned to the old one's version
    expect((await call('PATCH', `/v1/conversations/${conv.id}`, { assistantId: other.id })).json()).toMatchObject({
      assistantId: other.id,
      assistantVersion: null,
    });
    expect((await call('PATCH', `/v1/conversations/${conv.id}`, { assistantId: null })).json().assistantId).toBeNull();
    expect((await call('PATCH', `/v1/conversations/${conv.id}`, { assistantVersion: 1 })).statusCode).toBe(400);
    expect((await call('POST', '/v1/conversations', { assistantVersion: 1 })).statusCode).toBe(400);
    expect((await call('POST', '/v1/conversations', { assistantId: asst.id, assistantVersion: 2 })).statusCode).toBe(404);
  });
});
