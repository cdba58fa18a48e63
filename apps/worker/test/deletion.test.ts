import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tenantSchemaName, withTenant } from '@warren/db';
import { deleteTenant, provisionTenant } from '@warren/tenancy';
import { type ModelStack, startModelStack } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, eventually, spawnApi, spawnWorker, stopProcess } from './helpers.ts';

// Deleting a conversation: its rows at once, its sandbox and host folders on the worker's next
// sweep — real API, worker, sandboxes.

let stack: ModelStack;
let api: ApiProcess;
let worker: ChildProcess;
let tenantId: string;
let key: string;
const root = () => join(stack.dir, 'deletion');

const call = (method: string, path: string, body?: unknown, as = key) => api.call(method, path, as, body);

beforeAll(async () => {
  stack = await startModelStack();
  const provisioned = await provisionTenant(stack.db.pool, { name: 'deletion' });
  tenantId = provisioned.tenant.id;
  key = provisioned.apiKey.key;
  worker = spawnWorker(stack, 'deletion', { WORKSPACE_SWEEP_SECONDS: '1' });
  api = await spawnApi(stack);
}, 60_000);

afterAll(async () => {
  for (const child of [api?.process, worker]) if (child) await stopProcess(child, 'SIGTERM');
  await stack.close();
});

const rowsOf = (conversationId: string) =>
  withTenant(stack.db.pool, tenantId, async (tx) => {
    const count = async (table: string) =>
      (await tx.client.query(`SELECT count(*)::int AS n FROM ${table} WHERE conversation_id = $1`, [conversationId])).rows[0].n as number;
    return { messages: await count('messages'), turns: await count('turns'), snapshots: await count('workspace_snapshots') };
  });

describe('deleting a conversation', () => {
  it('removes its messages, turns and workspace snapshot at once, and its sandbox and folders on the host', async () => {
    const kept = (await call('POST', '/v1/conversations', {})).body;
    const doomed = (await call('POST', '/v1/conversations', {})).body;
    for (const conv of [kept, doomed]) {
      await call('POST', `/v1/conversations/${conv.id}/messages`, {
        content: `#fake tool bash ${JSON.stringify({ command: 'echo kept > notes.txt && cat notes.txt' })}`,
      });
    }
    for (const conv of [kept, doomed]) {
      await eventually(
        () => call('GET', `/v1/conversations/${conv.id}/turns`),
        (r) => r.body.data[0]?.status === 'succeeded',
      );
    }
    const doomedDir = join(root(), tenantId, doomed.id);
    const keptDir = join(root(), tenantId, kept.id);
    expect(existsSync(join(doomedDir, 'workspace'))).toBe(true);
    expect(await rowsOf(doomed.id)).toMatchObject({ messages: 2, turns: 1 });

    expect((await call('DELETE', `/v1/conversations/${doomed.id}`)).status).toBe(204);
    expect(await rowsOf(doomed.id)).toEqual({ messages: 0, turns: 0, snapshots: 0 });
    expect((await call('GET', `/v1/conversations/${doomed.id}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/conversations/${doomed.id}`)).status).toBe(404);

    // the warm sandbox closed and the folder gone on the next sweep; the other conversation untouched
    await expect.poll(() => existsSync(doomedDir), { timeout: 30_000 }).toBe(false);
    expect(existsSync(join(keptDir, 'workspace'))).toBe(true);
    await call('POST', `/v1/conversations/${kept.id}/messages`, {
      content: `#fake tool bash ${JSON.stringify({ command: 'cat notes.txt' })}`,
    });
    const second = await eventually(
      () => call('GET', `/v1/conversations/${kept.id}/messages`),
      (r) => r.body.data.filter((m: { role: string }) => m.role === 'assistant').length === 2,
    );
    expect(second.body.data.at(-1).content).toContain('kept');
  }, 120_000);

  it("cannot delete another tenant's conversation", async () => {
    const other = await provisionTenant(stack.db.pool, { name: 'other' });
    const conv = (await call('POST', '/v1/conversations', {})).body;
    expect((await call('DELETE', `/v1/conversations/${conv.id}`, undefined, other.apiKey.key)).status).toBe(404);
    expect((await call('GET', `/v1/conversations/${conv.id}`)).status).toBe(200);
  });

  it('deleting a tenant leaves nothing of it in the database or on the host', async () => {
    const doomed = await provisionTenant(stack.db.pool, { name: 'doomed-tenant' });
    const conv = (await call('POST', '/v1/conversations', {}, doomed.apiKey.key)).body;
    await call(
      'POST',
      `/v1/conversations/${conv.id}/messages`,
      { content: '#fake tool bash {"command":"echo gone > gone.txt"}' },
      doomed.apiKey.key,
    );
    await eventually(
      () => call('GET', `/v1/conversations/${conv.id}/turns`, undefined, doomed.apiKey.key),
      (r) => r.body.data?.[0]?.status === 'succeeded',
    );
    const tenantDir = join(root(), doomed.tenant.id);
    expect(existsSync(join(tenantDir, conv.id))).toBe(true);

    expect(await deleteTenant(stack.db.pool, doomed.tenant.id)).toBe(true);
    const left = await stack.db.pool.query(
      `SELECT (SELECT count(*)::int FROM pg_namespace WHERE nspname = $2) AS schemas,
              (SELECT count(*)::int FROM pg_roles WHERE rolname = $2) AS roles,
              (SELECT count(*)::int FROM control.tenants WHERE id = $1) AS tenants,
              (SELECT count(*)::int FROM control.api_keys WHERE tenant_id = $1) AS keys`,
      [doomed.tenant.id, tenantSchemaName(doomed.tenant.id)],
    );
    expect(left.rows[0]).toEqual({ schemas: 0, roles: 0, tenants: 0, keys: 0 });
    expect((await call('GET', '/v1/conversations', undefined, doomed.apiKey.key)).status).toBe(401);
    // its sandbox closed and its folders gone on the worker's next sweep
    await expect.poll(() => existsSync(tenantDir), { timeout: 30_000 }).toBe(false);
  }, 120_000);
});
