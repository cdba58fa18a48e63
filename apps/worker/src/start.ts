import { randomBytes } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareRunner } from '@warren/agent-runner';
import type { Logger } from '@warren/core';
import { mintTurnToken } from '@warren/credentials';
import { checkServerVersion, createPool, retryWhileUnreachable } from '@warren/db';
import { logBossErrors, QUEUE_SCHEMA, startBoss, TurnQueue } from '@warren/queue';
import { BwrapDriver, SandboxPool } from '@warren/sandbox';
import { taskRequestHandler } from '@warren/tasks';
import { TenantTurnSettings } from '@warren/tenancy';
import { DeletedConversationSweep, DurableWorkspaces, SandboxOwnership, WorkerLiveness } from '@warren/turns';
import { PgBoss } from 'pg-boss';
import type { WorkerConfig } from './config.ts';
import { consumeDeadTurns, consumeRetention, consumeTurns } from './consumers.ts';
import { observeWorker } from './observe.ts';
import { consumeWebhooks } from './webhook-consumers.ts';

/**
 * A backstop only: the proxy accepts a turn token while its turn attempt runs, whatever the expiry.
 * Longer than the longest turn (20 model calls of up to 10 minutes plus their bash commands).
 */
const TURN_TOKEN_TTL_S = 6 * 3600;

export interface RunningWorker {
  stop(): Promise<void>;
}

/** Wires a stateless worker: pg-boss consumer of `turn`, sandbox pool, database; stops in order. */
export async function startWorker(config: WorkerConfig, logger: Logger): Promise<RunningWorker> {
  const pool = createPool(config.DATABASE_URL, { max: config.WORKER_CONCURRENCY * 2 + 2, applicationName: 'warren-worker', logger });
  // A worker started while Postgres is down waits for it (and for pg-boss below).
  await retryWhileUnreachable(() => checkServerVersion(pool), logger, 'server version checked');
  await mkdir(config.SANDBOX_ROOT, { recursive: true });
  await chmod(config.SANDBOX_ROOT, 0o711);
  const runner = await prepareRunner(join(config.SANDBOX_ROOT, '.runner'));
  const workerId = config.WORKER_ID ?? `wkr_${randomBytes(8).toString('hex')}`;
  const liveness = new WorkerLiveness(pool, workerId, logger);
  await retryWhileUnreachable(() => liveness.start(), logger, 'liveness lock held');
  const workspaces = new DurableWorkspaces({ pool, workerId, maxBytes: config.WORKSPACE_SNAPSHOT_MAX_MB * 1024 * 1024, logger });
  const sandboxes = new SandboxPool({
    driver: new BwrapDriver({ logger }),
    root: config.SANDBOX_ROOT,
    proxySocket: config.PROXY_SOCKET_PATH,
    runner,
    limits: {
      memoryBytes: config.SANDBOX_MEMORY_MB * 1024 * 1024,
      pids: config.SANDBOX_PIDS,
      workspaceBytes: config.SANDBOX_WORKSPACE_MB * 1024 * 1024,
      cpuPercent: config.SANDBOX_CPU_PERCENT,
    },
    idleTimeoutMs: config.SANDBOX_IDLE_MS,
    maxSandboxes: config.SANDBOX_MAX,
    maxPerTenant: config.SANDBOX_MAX_PER_TENANT,
    workspaces,
    logger,
  });
  await sandboxes.start();
  const ownership = new SandboxOwnership({ pool, sandboxes, workerId, logger });
  ownership.start();
  const sweep = new DeletedConversationSweep({
    pool,
    sandboxes,
    root: config.SANDBOX_ROOT,
    intervalMs: config.WORKSPACE_SWEEP_SECONDS * 1000,
    logger,
  });
  sweep.start();

  const boss = new PgBoss({
    connectionString: config.DATABASE_URL,
    schema: QUEUE_SCHEMA,
    max: config.WORKER_CONCURRENCY + 3,
    migrate: false,
    // Workers are woken by Warren's own NOTIFY (see consumeTurns), not pg-boss's.
    useListenNotify: false,
    superviseIntervalSeconds: config.QUEUE_SUPERVISE_SECONDS,
    // Jobs whose worker stopped beating are failed (and retried) by the monitor pass, which pg-boss
    // runs once a minute by default: a killed worker's turn or webhook attempt would wait that long.
    monitorIntervalSeconds: config.QUEUE_SUPERVISE_SECONDS,
  });
  logBossErrors(boss, logger);
  // Started while Postgres is down, a worker waits for it; after that pg-boss's pool, Warren's pool
  // and the LISTEN connections each reconnect by themselves.
  await startBoss(boss, logger);
  const tenants = new TenantTurnSettings(pool);
  await tenants.listen();
  const taskLimits = async (tenantId: string) => {
    const tenant = await tenants.get(tenantId);
    return {
      maxActiveTasks: tenant?.maxActiveTasks ?? config.TASK_MAX_ACTIVE,
      minIntervalSeconds: tenant?.taskMinIntervalSeconds ?? config.TASK_MIN_INTERVAL_SECONDS,
    };
  };
  const deps = {
    pool,
    sandboxes,
    model: config.MODEL,
    turnTimeoutMs: config.TURN_TIMEOUT_MS,
    limits: {
      maxIterations: config.TURN_MAX_ITERATIONS,
      maxTokens: config.TURN_MAX_TOKENS,
      bashTimeoutMs: 120_000,
      toolOutputBytes: 65_536,
    },
    compaction: {
      budgetTokens: config.COMPACTION_BUDGET_TOKENS,
      keepTurns: config.COMPACTION_KEEP_TURNS,
      summaryMaxTokens: config.COMPACTION_SUMMARY_MAX_TOKENS,
    },
    mintTurnToken: (claims: { tenantId: string; sandboxId: string; turnId: string; attempt: number }) =>
      mintTurnToken(config.PROXY_TOKEN_SECRET, { ...claims, expiresAt: Math.floor(Date.now() / 1000) + TURN_TOKEN_TTL_S }),
    workerId,
    ownership,
    workspaces,
    taskRequests: taskRequestHandler(pool, TurnQueue.over(boss), taskLimits),
    logger,
  };
  const observer = await observeWorker({
    pool,
    workerId,
    liveSandboxes: () => sandboxes.size,
    metricsHost: config.METRICS_HOST,
    metricsPort: config.METRICS_PORT,
    logger,
  });
  const turns = await consumeTurns(boss, deps, tenants, {
    concurrency: config.WORKER_CONCURRENCY,
    defaultTenantCap: config.TENANT_CONCURRENCY,
    defaultOutputLimits: { maxOutputs: config.TURN_MAX_OUTPUTS, maxOutputBytes: config.TURN_MAX_OUTPUT_BYTES },
    pollSeconds: config.QUEUE_POLL_SECONDS,
    onTurnJob: observer.onTurnJob,
    tasks: { missedAfterMs: config.TASK_MISSED_AFTER_SECONDS * 1000, precheckTimeoutMs: config.TASK_PRECHECK_TIMEOUT_MS },
  });
  await consumeDeadTurns(boss, pool, logger);
  await consumeRetention(boss, pool, logger);
  const webhooks = config.HOOK_SECRET_KEY
    ? await consumeWebhooks(
        boss,
        { pool, tenants, logger },
        {
          concurrency: config.WEBHOOK_CONCURRENCY,
          settings: {
            sealingKey: config.HOOK_SECRET_KEY,
            timeoutMs: config.WEBHOOK_TIMEOUT_MS,
            retrySchedule: config.WEBHOOK_RETRY_SCHEDULE,
            disableAfterFailures: config.WEBHOOK_DISABLE_AFTER_FAILURES,
            disableAfterSeconds: config.WEBHOOK_DISABLE_AFTER_SECONDS,
            destinations: { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_DESTINATIONS },
          },
          onAttempt: observer.onWebhookAttempt,
        },
      )
    : undefined;
  if (!webhooks) logger.warn('HOOK_SECRET_KEY is not set: this worker delivers no outbound webhooks');
  logger.info({ workerId, concurrency: config.WORKER_CONCURRENCY, sandboxRoot: config.SANDBOX_ROOT }, 'worker started');

  return {
    async stop() {
      // Stop claiming, let running turns finish within the grace period, hand back the rest.
      await boss.stop({ graceful: true, timeout: config.SHUTDOWN_GRACE_MS });
      await turns.close();
      await webhooks?.close();
      await sweep.stop();
      await sandboxes.closeAll();
      await ownership.stop();
      await liveness.stop();
      await tenants.close();
      await observer.stop();
      await pool.end();
    },
  };
}
