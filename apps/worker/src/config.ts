import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envBoolean, logLevel, parseEnv } from '@warren/core';
import { DEFAULT_TASK_LIMITS } from '@warren/tasks';
import { DEFAULT_RETRY_SCHEDULE_SECONDS, retryScheduleSchema } from '@warren/webhooks';
import { z } from 'zod';

const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const workerConfigSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  /** The credential proxy's socket on this host (the sidecar). */
  PROXY_SOCKET_PATH: z
    .string()
    .min(1)
    .default(join(tmpdir(), 'warren-credential-proxy', 'proxy.sock')),
  PROXY_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** Host folder holding tenants' sandbox folders; every folder on the way must be traversable by uid 65534. */
  SANDBOX_ROOT: z.string().min(1).default(join(tmpdir(), 'warren-sandboxes')),
  /** This worker's name in turns and sandbox leases; unique among live workers (a second one with it refuses to start). */
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)')
    .optional(),
  MODEL: z.string().min(1).default('claude-sonnet-4-5'),
  /** Turns this worker runs at once. */
  WORKER_CONCURRENCY: positive(4),
  /** Turns one tenant may run at once across all workers. */
  TENANT_CONCURRENCY: positive(2),
  SANDBOX_IDLE_MS: positive(30 * 60_000),
  SANDBOX_MAX: positive(20),
  SANDBOX_MAX_PER_TENANT: positive(5),
  SANDBOX_MEMORY_MB: positive(512),
  SANDBOX_PIDS: positive(256),
  /** Each conversation's workspace quota, for tenants without their own (`workspace_bytes`). */
  SANDBOX_WORKSPACE_MB: positive(1024),
  /** The largest compressed workspace snapshot kept in Postgres; a larger workspace follows its conversation only while it stays on one host. */
  WORKSPACE_SNAPSHOT_MAX_MB: positive(64),
  /** Each sandbox's CPU ceiling in percent of one core, for tenants without their own (`sandbox_cpu_percent`). */
  SANDBOX_CPU_PERCENT: positive(100),
  /** A conversation's history is compacted when a model call's tokens (input + output) reach this; an assistant may set its own. */
  COMPACTION_BUDGET_TOKENS: positive(150_000),
  /** Recent user turns kept word for word by a compaction; older ones become a summary. */
  COMPACTION_KEEP_TURNS: z.coerce.number().int().min(1).max(100).default(4),
  /** max_tokens of the summary call. */
  COMPACTION_SUMMARY_MAX_TOKENS: z.coerce.number().int().min(1).max(200_000).default(4096),
  TURN_MAX_ITERATIONS: positive(20),
  TURN_MAX_TOKENS: positive(4096),
  /** A turn still running after this long is stopped and fails with kind `timeout`. */
  TURN_TIMEOUT_MS: positive(15 * 60_000),
  /** `send_message` outputs, and bytes of all outputs with the final reply, one turn may write (tenants may have their own). */
  TURN_MAX_OUTPUTS: positive(50),
  TURN_MAX_OUTPUT_BYTES: positive(1024 * 1024),
  /** How often an idle worker looks for jobs no NOTIFY announced (retries, deferred turns). */
  QUEUE_POLL_SECONDS: z.coerce.number().min(0.5).default(2),
  /** How often this worker looks for jobs whose worker died (missed heartbeats) to hand them on. */
  QUEUE_SUPERVISE_SECONDS: positive(5),
  /** How often this worker removes the sandbox folders of conversations deleted since (its own host's only). */
  WORKSPACE_SWEEP_SECONDS: positive(300),
  /** A scheduled task's run that starts later than this after its time was missed (downtime): its task's missed-run policy applies. */
  TASK_MISSED_AFTER_SECONDS: positive(300),
  /** How long a task's pre-check script may run in the sandbox before it is killed (the run is then `precheck_failed`). */
  TASK_PRECHECK_TIMEOUT_MS: positive(30_000),
  /** Tasks a tenant without its own limits may hold active, and the shortest time between two runs of one task. */
  TASK_MAX_ACTIVE: positive(DEFAULT_TASK_LIMITS.maxActiveTasks),
  TASK_MIN_INTERVAL_SECONDS: positive(DEFAULT_TASK_LIMITS.minIntervalSeconds),
  /** Opens webhook endpoints' sealed secrets (the API's key); without it this worker delivers no webhooks. */
  HOOK_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 key from `warren keys`')
    .optional(),
  /** Webhook attempts this worker makes at once. */
  WEBHOOK_CONCURRENCY: positive(8),
  /** The longest one attempt may take, from connecting to the end of the answer. */
  WEBHOOK_TIMEOUT_MS: positive(15_000),
  /** Seconds before each retry of a failed delivery (comma-separated); its length is the number of retries. */
  WEBHOOK_RETRY_SCHEDULE: retryScheduleSchema.default([...DEFAULT_RETRY_SCHEDULE_SECONDS]),
  /** An endpoint is disabled after this many failed attempts in a row that went on for at least WEBHOOK_DISABLE_AFTER_SECONDS. */
  WEBHOOK_DISABLE_AFTER_FAILURES: positive(20),
  WEBHOOK_DISABLE_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5 * 86_400),
  /** Lets deliveries go to loopback, private and link-local addresses (a local demo; never on a shared host). */
  WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: envBoolean.default(false),
  /** How long shutdown waits for running turns before handing them back. */
  SHUTDOWN_GRACE_MS: positive(30_000),
  /** Where this worker serves Prometheus /metrics; port 0 picks a free one (logged at start). */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  LOG_LEVEL: logLevel,
});

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export const loadWorkerConfig = (env: NodeJS.ProcessEnv = process.env): WorkerConfig => parseEnv(workerConfigSchema, env);
