import type { ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { provisionTenant } from '@warren/tenancy';
import { freePort, type ModelStack, startModelStack } from '@warren/testkit';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiProcess, spawnApi, spawnWorker, stopProcess } from './helpers.ts';

// Outbound webhooks with real processes: a message committed through the API becomes an event,
// a worker fans it out to the tenant's endpoints and POSTs it to a receiver on this machine.

const HOOK_SECRET_KEY = Buffer.alloc(32, 9).toString('base64');
const RETRIES = 5;

let stack: ModelStack;
let api: ApiProcess;
let worker: ChildProcess;
let key: string;
let conversationId: string;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}
const received: Received[] = [];
/** Statuses a path answers in turn; 200 once they are used up. */
const script = new Map<string, number[]>();
let receiver: Server;
let receiverBase: string;

const webhookEnv = { HOOK_SECRET_KEY, WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true' };
const metricsPort = await freePort();
const workerEnv = {
  ...webhookEnv,
  METRICS_PORT: String(metricsPort),
  WEBHOOK_RETRY_SCHEDULE: Array(RETRIES).fill('0.2').join(','),
  WEBHOOK_DISABLE_AFTER_FAILURES: String(RETRIES + 1),
  WEBHOOK_DISABLE_AFTER_SECONDS: '0',
  // a short attempt, so the lease of a killed worker's attempt lapses within the test
  WEBHOOK_TIMEOUT_MS: '2000',
};

const call = (method: string, path: string, body?: unknown) => api.call(method, path, key, body);
const at = (path: string) => received.filter((r) => r.path === path);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const status = script.get(path)?.shift() ?? 200;
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString(), status });
      if (status === 0) return; // never answers
      if (status === 1) {
        // answers 200, a second late
        setTimeout(() => res.writeHead(200).end('late'), 1000);
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'thanks' : `receiver says ${status}`);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  stack = await startModelStack();
  key = (await provisionTenant(stack.db.pool, { name: 'webhooks' })).apiKey.key;
  worker = spawnWorker(stack, 'sandboxes', workerEnv);
  api = await spawnApi(stack, webhookEnv);
  // messages that wake no turn: each is one `message.created` event
  conversationId = (await call('POST', '/v1/conversations', { trigger: { mode: 'never' } })).body.id;
}, 60_000);

afterAll(async () => {
  for (const child of [api?.process, worker]) if (child) await stopProcess(child, 'SIGTERM');
  await stack?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function endpoint(path: string, body: Record<string, unknown> = {}) {
  const res = await call('POST', '/v1/webhook-endpoints', { url: `${receiverBase}${path}`, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string };
}

async function post(content: string) {
  const res = await call('POST', `/v1/conversations/${conversationId}/messages`, { content });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

const until = (check: () => void | Promise<void>) => vi.waitFor(check, { timeout: 30_000, interval: 100 });

async function deliveriesOf(endpointId: string) {
  return (await call('GET', `/v1/webhook-endpoints/${endpointId}/deliveries`)).body.data as Array<{ id: string; status: string }>;
}

describe('outbound webhooks', () => {
  it('retries a failing receiver on the schedule: four attempts recorded, one accepted, every one signed', async () => {
    const ep = await endpoint('/flaky', { eventTypes: ['message.created'] });
    script.set('/flaky', [500, 503, 500]);
    const message = await post('deliver me');
    await until(() => expect(at('/flaky').map((r) => r.status)).toEqual([500, 503, 500, 200]));

    const ids = new Set(at('/flaky').map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1); // one delivery, retried under one webhook-id
    for (const request of at('/flaky')) {
      // verified as a receiver would, with the standardwebhooks package and the secret shown at creation
      const verified = new Webhook(ep.secret).verify(request.body, request.headers as Record<string, string>);
      expect(verified).toMatchObject({ type: 'message.created', data: { messageId: message.id, conversationId, content: 'deliver me' } });
    }
    const [delivery] = await deliveriesOf(ep.id);
    await until(async () =>
      expect((await call('GET', `/v1/webhook-deliveries/${delivery!.id}`)).body).toMatchObject({ status: 'succeeded', attempts: 4 }),
    );
    const log = (await call('GET', `/v1/webhook-deliveries/${delivery!.id}`)).body.attemptLog;
    expect(log.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 503, 500, 200]);
    expect(log.map((a: { trigger: string }) => a.trigger)).toEqual(['scheduled', 'scheduled', 'scheduled', 'scheduled']);
    expect(log[0]).toMatchObject({ attempt: 1, error: 'answered 500', responseBody: 'receiver says 500', durationMs: expect.any(Number) });
    expect(log[3]).toMatchObject({ attempt: 4, error: null, responseBody: 'thanks' });
    expect((await call('GET', `/v1/webhook-endpoints/${ep.id}`)).body).toMatchObject({ consecutiveFailures: 0, failingSince: null });
    // the worker counts its attempts for Prometheus (no tenant label)
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('warren_webhook_attempts_total{outcome="failed"} 3');
    expect(metrics).toContain('warren_webhook_attempts_total{outcome="succeeded"} 1');
    expect(metrics).toMatch(/warren_webhook_attempt_duration_seconds_count\{outcome="failed"\} 3/);

    // sent again by hand: one more attempt, the same webhook-id, no retries after it
    const again = await call('POST', `/v1/webhook-deliveries/${delivery!.id}/redeliver`);
    expect(again.status).toBe(202);
    await until(() => expect(at('/flaky')).toHaveLength(5));
    expect(at('/flaky')[4]!.headers['webhook-id']).toBe(delivery!.id);
    await until(async () => {
      const after = (await call('GET', `/v1/webhook-deliveries/${delivery!.id}`)).body;
      expect(after).toMatchObject({ status: 'succeeded', attempts: 5 });
      expect(after.attemptLog.at(-1)).toMatchObject({ trigger: 'manual', statusCode: 200 });
    });
  });

  it('sends nothing to a disabled endpoint, and only the chosen event types', async () => {
    const off = await endpoint('/off', { enabled: false });
    const turnsOnly = await endpoint('/turns-only', { eventTypes: ['turn.succeeded'] });
    const on = await endpoint('/on');
    const message = await post('only for the enabled one');
    await until(() => expect(at('/on').some((r) => JSON.parse(r.body).data.messageId === message.id)).toBe(true));
    // fan-out handles every endpoint of the tenant in one transaction: by now the others were passed over
    expect(at('/off')).toEqual([]);
    expect(at('/turns-only')).toEqual([]);
    expect(await deliveriesOf(off.id)).toEqual([]);
    expect(await deliveriesOf(turnsOnly.id)).toEqual([]);
    // enabled later, it gets what happens from then on, not what it missed
    expect((await call('PATCH', `/v1/webhook-endpoints/${off.id}`, { enabled: true })).status).toBe(200);
    const later = await post('after enabling');
    await until(() => expect(at('/off').map((r) => JSON.parse(r.body).data.messageId)).toEqual([later.id]));
    expect(on.id).toBeTruthy();
  });

  it('disables an endpoint after a long run of failures; it then gets no new deliveries', async () => {
    const ep = await endpoint('/down');
    script.set('/down', Array(100).fill(500));
    await post('into the void');
    await until(async () =>
      expect((await call('GET', `/v1/webhook-endpoints/${ep.id}`)).body).toMatchObject({ enabled: false, disabledReason: 'failing' }),
    );
    const [delivery] = await deliveriesOf(ep.id);
    await until(async () => expect((await call('GET', `/v1/webhook-deliveries/${delivery!.id}`)).body.status).toBe('failed'));
    const sent = at('/down').length;
    expect(sent).toBe(RETRIES + 1);
    await post('while disabled');
    // another endpoint proves the event was fanned out meanwhile
    const witness = await endpoint('/witness');
    const seen = await post('seen by the witness');
    await until(() => expect(at('/witness').some((r) => JSON.parse(r.body).data.messageId === seen.id)).toBe(true));
    expect(await deliveriesOf(ep.id)).toHaveLength(1);
    expect(at('/down')).toHaveLength(sent);
    // redelivery to a disabled endpoint is refused until it is enabled again
    expect((await call('POST', `/v1/webhook-deliveries/${delivery!.id}/redeliver`)).status).toBe(409);
    expect(witness.id).toBeTruthy();
  });

  it('signs with both secrets during a rotation overlap, and with the new one only after', async () => {
    const ep = await endpoint('/rotating', { eventTypes: ['message.created'] });
    const rotated = (await call('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, { overlapSeconds: 3600 })).body;
    const first = await post('during the overlap');
    await until(() => expect(at('/rotating')).toHaveLength(1));
    const overlap = at('/rotating')[0]!;
    expect(String(overlap.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [ep.secret, rotated.secret]) {
      expect(new Webhook(secret).verify(overlap.body, overlap.headers as Record<string, string>)).toMatchObject({
        data: { messageId: first.id },
      });
    }
    const final = (await call('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, { overlapSeconds: 0 })).body;
    await post('after the overlap');
    await until(() => expect(at('/rotating')).toHaveLength(2));
    const after = at('/rotating')[1]!;
    expect(() => new Webhook(rotated.secret).verify(after.body, after.headers as Record<string, string>)).toThrow();
    expect(new Webhook(final.secret).verify(after.body, after.headers as Record<string, string>)).toBeTruthy();
  });

  it("takes over a killed worker's attempt once its lease lapses, recording the lost one", async () => {
    const ep = await endpoint('/hang', { eventTypes: ['message.created'] });
    script.set('/hang', [0]);
    await post('sent while the worker dies');
    await until(() => expect(at('/hang')).toHaveLength(1));
    await stopProcess(worker, 'SIGKILL');
    worker = spawnWorker(stack, 'sandboxes', workerEnv);
    await vi.waitFor(() => expect(at('/hang').map((r) => r.status)).toEqual([0, 200]), { timeout: 60_000, interval: 200 });
    expect(at('/hang')[1]!.headers['webhook-id']).toBe(at('/hang')[0]!.headers['webhook-id']);
    const [delivery] = await deliveriesOf(ep.id);
    await until(async () => {
      const after = (await call('GET', `/v1/webhook-deliveries/${delivery!.id}`)).body;
      expect(after).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(after.attemptLog).toEqual([
        expect.objectContaining({ attempt: 1, statusCode: null, error: expect.stringContaining('outcome unknown') }),
        expect.objectContaining({ attempt: 2, statusCode: 200 }),
      ]);
    });
  }, 90_000);

  it('delivers what was committed while no worker ran (no NOTIFY was heard)', async () => {
    const ep = await endpoint('/downtime', { eventTypes: ['message.created'] });
    await stopProcess(worker, 'SIGTERM');
    const missed = await post('committed with no worker up');
    worker = spawnWorker(stack, 'sandboxes', workerEnv);
    await until(() => expect(at('/downtime').map((r) => JSON.parse(r.body).data.messageId)).toEqual([missed.id]));
    expect(await deliveriesOf(ep.id)).toHaveLength(1);
  });

  it('records nothing, and does not fail its job, for an attempt whose endpoint was deleted meanwhile', async () => {
    const ep = await endpoint('/slow', { eventTypes: ['message.created'] });
    script.set('/slow', [1]);
    await post('to an endpoint about to go');
    await until(() => expect(at('/slow')).toHaveLength(1));
    expect((await call('DELETE', `/v1/webhook-endpoints/${ep.id}`)).status).toBe(204);
    const deliveryId = String(at('/slow')[0]!.headers['webhook-id']);
    const job = () =>
      stack.db.pool.query<{ state: string; retry_count: number }>(
        `SELECT state, retry_count FROM pgboss.job WHERE name = 'webhook_delivery' AND data->>'deliveryId' = $1`,
        [deliveryId],
      );
    await until(async () => expect((await job()).rows).toEqual([{ state: 'completed', retry_count: 0 }]));
  });
});
