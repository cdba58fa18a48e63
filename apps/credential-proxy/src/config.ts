import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel, parseEnv } from '@warren/core';
import { z } from 'zod';

const optionalNumber = z.coerce.number().int().positive().optional();
const base64Key = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 key from `warren keys`');

export const proxyConfigSchema = z
  .object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
    /** Unix socket the sandboxes connect to. */
    PROXY_SOCKET_PATH: z
      .string()
      .min(1)
      .default(join(tmpdir(), 'warren-credential-proxy', 'proxy.sock')),
    /** Optional TCP listener, for container hosts where a socket cannot be shared. */
    PROXY_TCP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    PROXY_TCP_HOST: z.string().default('127.0.0.1'),
    /** Shared with the worker, which mints the turn tokens. */
    PROXY_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters'),
    /** The key pair tenants' own keys are sealed to; the API holds only the public half. */
    PROXY_PUBLIC_KEY: base64Key.optional(),
    PROXY_SECRET_KEY: base64Key.optional(),
    /** The platform's key, for tenants without their own. */
    ANTHROPIC_API_KEY: z.string().min(1).optional(),
    ANTHROPIC_UPSTREAM: z.url().default('https://api.anthropic.com'),
    DEFAULT_MONTHLY_TOKEN_BUDGET: optionalNumber,
    DEFAULT_REQUESTS_PER_MINUTE: optionalNumber,
    /** Larger request bodies get 413; a body's size bounds the input tokens the proxy reserves for it. */
    PROXY_BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024),
    USAGE_FLUSH_MS: z.coerce.number().int().positive().default(1000),
    TENANT_CACHE_MS: z.coerce.number().int().positive().default(10_000),
    LOG_LEVEL: logLevel,
  })
  .refine((c) => (c.PROXY_PUBLIC_KEY === undefined) === (c.PROXY_SECRET_KEY === undefined), {
    message: 'set PROXY_PUBLIC_KEY and PROXY_SECRET_KEY together',
    path: ['PROXY_SECRET_KEY'],
  });

export type ProxyConfig = z.infer<typeof proxyConfigSchema>;

export const loadProxyConfig = (env: NodeJS.ProcessEnv = process.env): ProxyConfig => parseEnv(proxyConfigSchema, env);
