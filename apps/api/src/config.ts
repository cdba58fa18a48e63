import { isIP } from 'node:net';
import { envBoolean, logLevel, parseEnv } from '@warren/core';
import { DEFAULT_TASK_LIMITS } from '@warren/tasks';
import { tenantLimitBounds } from '@warren/tenancy';
import { z } from 'zod';

/** The names proxy-addr (Fastify's trustProxy) knows for address ranges. */
const proxyRangeNames = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (proxyRangeNames.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * Fastify's `trustProxy`: `false` (the default: X-Forwarded-* are ignored), `true` (every hop),
 * a number of hops, or the proxies' addresses and CIDR ranges, comma-separated.
 */
export const trustProxySetting = z
  .string()
  .trim()
  .default('false')
  .transform((value, ctx): boolean | number | string[] => {
    if (value === 'false') return false;
    if (value === 'true') return true;
    if (/^\d{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= 100) return Number(value);
    const entries = value.split(',').map((e) => e.trim());
    if (entries.every(isProxyAddress)) return entries;
    ctx.addIssue({
      code: 'custom',
      message:
        'must be false, true, a number of hops (1-100), or comma-separated proxy addresses or CIDR ranges (or loopback, linklocal, uniquelocal)',
    });
    return z.NEVER;
  });

export const apiConfigSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Bearer token for the admin (ops) plane. */
  OPS_TOKEN: z.string().min(24, 'must be at least 24 characters'),
  /** Bearer token of GET /metrics; without it, the ops token reads them. */
  METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  /** Whom to believe about the client's address and protocol (X-Forwarded-For, X-Forwarded-Proto). */
  TRUST_PROXY: trustProxySetting,
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** Requests per minute allowed per API key. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(6000),
  /** The credential proxy's public key: tenants' own provider keys are sealed to it. */
  PROXY_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 key from `warren keys`')
    .optional(),
  /** Seals inbound hooks' and webhook endpoints' signing secrets (`warren keys`); without it, neither can be created, and hooks cannot receive. */
  HOOK_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 key from `warren keys`')
    .optional(),
  /** Largest inbound webhook payload; larger ones get 413. */
  INBOUND_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** Quotas for tenants without their own (`maxApiKeys`, `maxConversations`, `maxInboundHooks`). */
  DEFAULT_MAX_API_KEYS: z.coerce.number().int().min(1).max(tenantLimitBounds.maxApiKeys.max).default(20),
  DEFAULT_MAX_CONVERSATIONS: z.coerce.number().int().min(1).max(tenantLimitBounds.maxConversations.max).default(10_000),
  /** How long a dashboard sign-in lasts. */
  DASHBOARD_SESSION_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(8 * 3600),
  /** The built dashboard (apps/dashboard/dist), served under /dashboard when it exists. */
  DASHBOARD_DIR: z.string().optional(),
  /** The largest skill bundle upload, and how many skills a tenant may hold. */
  SKILL_UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 1024 * 1024),
  DEFAULT_MAX_SKILLS: z.coerce.number().int().positive().default(50),
  /** The assistant quota for tenants without their own (`maxAssistants`). */
  DEFAULT_MAX_ASSISTANTS: z.coerce.number().int().min(1).max(tenantLimitBounds.maxAssistants.max).default(200),
  DEFAULT_MAX_INBOUND_HOOKS: z.coerce.number().int().min(1).max(tenantLimitBounds.maxInboundHooks.max).default(20),
  /** The outbound webhook endpoint quota for tenants without their own (`maxWebhookEndpoints`). */
  DEFAULT_MAX_WEBHOOK_ENDPOINTS: z.coerce.number().int().min(1).max(tenantLimitBounds.maxWebhookEndpoints.max).default(10),
  /** Lets webhook endpoints point at loopback, private and link-local addresses (a local demo; never on a shared host). */
  WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: envBoolean.default(false),
  /** Scheduled-task limits for tenants without their own (`maxActiveTasks`, `taskMinIntervalSeconds`). */
  DEFAULT_MAX_ACTIVE_TASKS: z.coerce
    .number()
    .int()
    .min(0)
    .max(tenantLimitBounds.maxActiveTasks.max)
    .default(DEFAULT_TASK_LIMITS.maxActiveTasks),
  DEFAULT_TASK_MIN_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(tenantLimitBounds.taskMinIntervalSeconds.max)
    .default(DEFAULT_TASK_LIMITS.minIntervalSeconds),
  /** Event streams (SSE) one API key may hold open in one API process. */
  SSE_MAX_STREAMS_PER_KEY: z.coerce.number().int().min(1).max(100_000).default(100),
  SSE_HEARTBEAT_SECONDS: z.coerce.number().min(1).max(300).default(15),
  /** Bytes waiting for a slow stream client before it is cut off (it resumes with Last-Event-ID). */
  SSE_MAX_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  DB_POOL_SIZE: z.coerce.number().int().positive().default(20),
  LOG_LEVEL: logLevel,
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export const loadApiConfig = (env: NodeJS.ProcessEnv = process.env): ApiConfig => parseEnv(apiConfigSchema, env);
