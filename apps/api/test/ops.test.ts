import { newId } from '@warren/core';
import { controlDb, withTenant, writeWorkerHeartbeat } from '@warren/db';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiConfigSchema } from '../src/config.ts';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

// What the ops console reads: queue figures, dead-lettered turns and their redrive, tenants
// behind on migrations, live workers, and the API's Prometheus figures.

let h: ApiHarness;
let a: { id: string; key: string };
let b: { id: string; key: string };
const ops = (method: string, url: string, body?: unknown) => h.call(OPS_TOKEN, method, url, body);

/** A conversation of A's with one stored message and a failed turn over it, its range closed as failTurn leaves it. */
async function failedTurn(error: { kind: string; message: string }, processedSeq = 1) {
  const conv = (await h.call(a.key, 'POST', '/v1/conversations', { trigger: { mode: 'never' } })).json().id;
  await h.call(a.key, 'POST', `/v1/conversations/${conv}/messages`, { content: 'poison' });
  const turnId = newId('turn');
  await withTenant(h.db.pool, a.id, async (tx) => {
    await tx.client.query(
      `INSERT INTO turns (id, conversation_id, status, from_seq, to_seq, attempt, error, started_at, finished_at)
       VALUES ($1, $2, 'failed', 0, 1, 6, $3, now(), now())`,
      [turnId, conv, error],
    );
    await tx.client.query('UPDATE cursors SET processed_seq = $2 WHERE conversation_id = $1', [conv, processedSeq]);
  });
  return { conv, turnId };
}

const dead = { kind: 'dead_lettered', message: 'the queue gave up on this turn after 6 attempt(s)' };

beforeAll(async () => {
  h = await startApiHarness();
  a = await h.tenant('A');
  b = await h.tenant('B');
});
afterAll(() => h.close());

describe('queues', () => {
  it('shows depth and the oldest waiting job per queue', async () => {
    const conv = (await h.call(a.key, 'POST', '/v1/conversations', {})).json().id;
    await h.call(a.key, 'POST', `/v1/conversations/${conv}/messages`, { content: 'wake up' });
    const queues = (await ops('GET', '/v1/admin/queues')).json().data;
    expect(queues.map((q: { name: string }) => q.name)).toEqual(expect.arrayContaining(['turn', 'turn_dead']));
    expect(queues.find((q: { name: string }) => q.name === 'turn')).toMatchObject({ queued: 1, active: 0 });
    expect((await h.call(a.key, 'GET', '/v1/admin/queues')).statusCode).toBe(401);
  });
});

describe('dead-lettered turns', () => {
  it('lists them across tenants, and not turns that failed otherwise', async () => {
    const { turnId } = await failedTurn(dead);
    const other = await failedTurn({ kind: 'runner_error', message: 'boom' });
    const list = (await ops('GET', '/v1/admin/dead-turns')).json().data;
    expect(list).toContainEqual(expect.objectContaining({ id: turnId, tenantId: a.id, status: 'failed', error: dead }));
    expect(list.map((t: { id: string }) => t.id)).not.toContain(other.turnId);
  });

  it('redrives one: queued again with fresh attempts, the cursor back at its start, a job sent; once only', async () => {
    const { conv, turnId } = await failedTurn(dead);
    const res = await ops('POST', `/v1/admin/tenants/${a.id}/turns/${turnId}/redrive`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: turnId, status: 'queued', attempt: 0, error: null });
    const cursor = await withTenant(
      h.db.pool,
      a.id,
      async (tx) => (await tx.client.query('SELECT processed_seq::int AS p FROM cursors WHERE conversation_id = $1', [conv])).rows[0].p,
    );
    expect(cursor).toBe(0);
    const jobs = await h.db.pool.query(`SELECT state FROM pgboss.job WHERE name = 'turn' AND data->>'conversationId' = $1`, [conv]);
    expect(jobs.rows).toEqual([{ state: 'created' }]);
    expect((await ops('GET', '/v1/admin/dead-turns')).json().data.map((t: { id: string }) => t.id)).not.toContain(turnId);
    expect((await ops('POST', `/v1/admin/tenants/${a.id}/turns/${turnId}/redrive`)).statusCode).toBe(409);
  });

  it('refuses a turn that failed otherwise, one whose conversation moved on, and ids of another tenant', async () => {
    const other = await failedTurn({ kind: 'runner_error', message: 'boom' });
    expect((await ops('POST', `/v1/admin/tenants/${a.id}/turns/${other.turnId}/redrive`)).statusCode).toBe(409);
    const movedOn = await failedTurn(dead, 3);
    expect((await ops('POST', `/v1/admin/tenants/${a.id}/turns/${movedOn.turnId}/redrive`)).statusCode).toBe(409);
    // B's tenant id with A's turn: not found, and A's turn untouched
    const mine = await failedTurn(dead);
    expect((await ops('POST', `/v1/admin/tenants/${b.id}/turns/${mine.turnId}/redrive`)).statusCode).toBe(404);
    expect((await ops('POST', `/v1/admin/tenants/${newId('tenant')}/turns/${mine.turnId}/redrive`)).statusCode).toBe(404);
    expect((await h.call(a.key, 'GET', `/v1/turns/${mine.turnId}`)).json().status).toBe('failed');
  });
});

describe('migrations and workers', () => {
  it('names tenants whose schema lacks a tenant migration', async () => {
    expect((await ops('GET', '/v1/admin/migrations')).json().behind).toEqual([]);
    await h.db.pool.query(
      `DELETE FROM control.tenant_migrations WHERE tenant_id = $1 AND version = (SELECT max(version) FROM control.tenant_migrations)`,
      [b.id],
    );
    expect((await ops('GET', '/v1/admin/migrations')).json().behind).toEqual([{ id: b.id, name: 'B', missing: 1 }]);
  });

  it('shows workers whose heartbeat is recent, with their live sandboxes', async () => {
    const db = controlDb(h.db.pool);
    await writeWorkerHeartbeat(db, { id: 'wkr_live', host: 'host-1', startedAt: new Date(), sandboxesLive: 3 });
    await writeWorkerHeartbeat(db, { id: 'wkr_gone', host: 'host-2', startedAt: new Date(), sandboxesLive: 1 });
    await h.db.pool.query(`UPDATE control.workers SET last_seen = now() - interval '1 minute' WHERE id = 'wkr_gone'`);
    const workers = (await ops('GET', '/v1/admin/workers')).json().data;
    expect(workers).toEqual([expect.objectContaining({ id: 'wkr_live', host: 'host-1', sandboxesLive: 3 })]);
  });
});

describe('/metrics', () => {
  const metrics = (app: FastifyInstance, token?: string) =>
    app.inject({ url: '/metrics', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('has HTTP latency by route pattern and queue figures, and no tenant or resource ids', async () => {
    const conv = (await h.call(a.key, 'POST', '/v1/conversations', {})).json().id;
    await h.call(a.key, 'GET', `/v1/conversations/${conv}`);
    const res = await metrics(h.app, OPS_TOKEN);
    expect(res.statusCode).toBe(200);
    const text = res.body;
    expect(text).toMatch(/warren_http_request_duration_seconds_count\{method="GET",route="\/v1\/conversations\/:id",status="200"\} \d+/);
    expect(text).toMatch(/warren_queue_depth\{queue="turn"\} \d+/);
    expect(text).toMatch(/warren_queue_oldest_seconds\{queue="turn"\} \d+/);
    expect(text).not.toContain(a.id);
    expect(text).not.toContain(conv);
  });

  it('answers 401 problem+json without the ops token: no token, a wrong one, an API key, a dashboard session', async () => {
    const session = await h.app.inject({ method: 'POST', url: '/v1/dashboard/session', payload: { opsToken: OPS_TOKEN } });
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    for (const res of [
      await metrics(h.app),
      await metrics(h.app, 'wrong-token-0123456789abcdef'),
      await metrics(h.app, a.key),
      await h.app.inject({ url: '/metrics', headers: { cookie } }),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).not.toContain('warren_');
    }
  });

  it('with METRICS_TOKEN set, answers to that token only', async () => {
    const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
    expect(apiConfigSchema.shape.METRICS_TOKEN.safeParse('short').success).toBe(false);
    const own = await startApiHarness({ METRICS_TOKEN });
    try {
      expect((await metrics(own.app, METRICS_TOKEN)).body).toMatch(/warren_queue_depth/);
      expect((await metrics(own.app, OPS_TOKEN)).statusCode).toBe(401);
      expect((await metrics(own.app)).statusCode).toBe(401);
    } finally {
      await own.close();
    }
  });
});
