import { logLevel, parseEnv } from '@warren/core';
import { tenantLimitBounds } from '@warren/tenancy';
import { z } from 'zod';

export const apiConfigSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Bearer token for the admin (ops) plane. */
  OPS_TOKEN: z.string().min(24, 'must be at least 24 characters'),
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
  /** Quotas for tenants without their own (`maxApiKeys`, `maxConversations`). */
  DEFAULT_MAX_API_KEYS: z.coerce.number().int().min(1).max(tenantLimitBounds.maxApiKeys.max).default(20),
  DEFAULT_MAX_CONVERSATIONS: z.coerce.number().int().min(1).max(tenantLimitBounds.maxConversations.max).default(10_000),
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
