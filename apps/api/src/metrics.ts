import { AppError } from '@warren/core';
import type { Pool } from '@warren/db';
import { queueStats } from '@warren/queue';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { sameSecret } from './plugins/auth.ts';

/**
 * The API's Prometheus figures at /metrics: HTTP latency by route pattern (never the raw URL,
 * so ids make no labels) and queue depth and age. No label names a tenant. Readable with `token`
 * only (METRICS_TOKEN, else the ops token): they tell load and queue backlogs.
 */
export function apiMetrics(app: FastifyInstance, pool: Pool, token: string): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const latency = new Histogram({
    name: 'warren_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const depth = new Gauge({ name: 'warren_queue_depth', help: 'Jobs waiting per queue', labelNames: ['queue'], registers: [registry] });
  const active = new Gauge({ name: 'warren_queue_active', help: 'Jobs running per queue', labelNames: ['queue'], registers: [registry] });
  const age = new Gauge({
    name: 'warren_queue_oldest_seconds',
    help: 'Age of the oldest waiting job per queue',
    labelNames: ['queue'],
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  const onRequest = async (request: FastifyRequest) => {
    const sent = request.headers.authorization;
    if (typeof sent !== 'string' || !sameSecret(sent, `Bearer ${token}`)) {
      throw new AppError('unauthorized', 'send Authorization: Bearer <METRICS_TOKEN> (the ops token when METRICS_TOKEN is unset)');
    }
  };
  app.get('/metrics', { schema: { hide: true }, onRequest }, async (_request, reply) => {
    for (const q of await queueStats(pool)) {
      depth.set({ queue: q.name }, q.queued);
      active.set({ queue: q.name }, q.active);
      age.set({ queue: q.name }, q.oldestQueuedSeconds);
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
