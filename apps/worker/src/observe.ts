import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { Logger } from '@warren/core';
import { controlDb, type Pool, writeWorkerHeartbeat } from '@warren/db';
import type { TaskJobResult } from '@warren/tasks';
import type { TurnJobResult } from '@warren/turns';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** How often a worker writes its row in control.workers (the ops console counts one silent for 30 s as gone). */
const HEARTBEAT_MS = 5_000;

export interface WorkerObserver {
  onTurnJob(outcome: TurnJobResult | TaskJobResult | 'error', seconds: number): void;
  onWebhookAttempt(outcome: 'succeeded' | 'failed', seconds: number): void;
  stop(): Promise<void>;
}

/**
 * What a worker tells about itself: a heartbeat row with its live sandboxes, for the ops
 * console, and Prometheus figures on its own port (turns by outcome, turn duration, sandboxes
 * live, webhook attempts by outcome and their duration). No label names a tenant.
 */
export async function observeWorker(opts: {
  pool: Pool;
  workerId: string;
  liveSandboxes: () => number;
  metricsHost: string;
  metricsPort: number;
  logger: Logger;
}): Promise<WorkerObserver> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const outcomes = new Counter({
    name: 'warren_turn_jobs_total',
    help: 'Turn jobs run by this worker, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'warren_turn_job_duration_seconds',
    help: 'How long a turn job took, by outcome',
    labelNames: ['outcome'],
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: 'warren_webhook_attempts_total',
    help: 'Outbound webhook attempts made by this worker, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const webhookDuration = new Histogram({
    name: 'warren_webhook_attempt_duration_seconds',
    help: 'How long a webhook attempt took, by outcome',
    labelNames: ['outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'warren_sandboxes_live',
    help: 'Warm sandboxes held by this worker',
    registers: [registry],
    collect() {
      this.set(opts.liveSandboxes());
    },
  });

  const server: Server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        opts.logger.error({ err }, 'metrics collection failed');
        response.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.metricsPort, opts.metricsHost, () => resolve());
  });
  const address = server.address();
  opts.logger.info(
    { metrics: typeof address === 'object' && address ? `http://${address.address}:${address.port}/metrics` : address },
    'metrics served',
  );

  const db = controlDb(opts.pool);
  const row = { id: opts.workerId, host: hostname(), startedAt: new Date() };
  const beat = () =>
    writeWorkerHeartbeat(db, { ...row, sandboxesLive: opts.liveSandboxes() }).catch((err: unknown) =>
      opts.logger.warn({ err }, 'worker heartbeat not written; trying again shortly'),
    );
  await beat();
  const timer = setInterval(beat, HEARTBEAT_MS);

  return {
    onTurnJob(outcome, seconds) {
      outcomes.inc({ outcome });
      duration.observe({ outcome }, seconds);
    },
    onWebhookAttempt(outcome, seconds) {
      webhookAttempts.inc({ outcome });
      webhookDuration.observe({ outcome }, seconds);
    },
    async stop() {
      clearInterval(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
