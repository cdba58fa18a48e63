import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@warren/core';
import type { ApiKeyCache } from '@warren/tenancy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** Key lookups; routes that revoke keys or change tenant status clear it. */
    apiKeyCache: ApiKeyCache;
  }
  interface FastifyRequest {
    /** Set by the tenant-auth hook: whose data this request may touch. */
    tenantId: string;
    apiKeyId: string;
    /** The tenant's own conversation quota, if it has one. */
    tenantMaxConversations: number | null;
    /** The tenant's own scheduled-task limits (null: the API's defaults). */
    tenantTaskLimits: { maxActiveTasks: number | null; minIntervalSeconds: number | null } | null;
  }
}

const bearer = /^Bearer ([\x21-\x7e]{1,200})$/;

export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? bearer.exec(header) : null;
  if (!match) throw new AppError('unauthorized', 'send Authorization: Bearer <key>');
  return match[1]!;
}

/** Tenant plane: an API key resolves to exactly one tenant, which must be active. */
export const tenantAuth = fp(async (app: FastifyInstance) => {
  app.decorateRequest('tenantId', '');
  app.decorateRequest('apiKeyId', '');
  app.decorateRequest('tenantMaxConversations', null);
  app.decorateRequest('tenantTaskLimits', null);
  app.addHook('onRequest', async (request) => {
    const principal = await app.apiKeyCache.authenticate(bearerToken(request));
    if (!principal) throw new AppError('unauthorized', 'unknown or revoked API key');
    if (principal.tenantStatus !== 'active') throw new AppError('tenant_suspended', 'this tenant is suspended');
    request.tenantId = principal.tenantId;
    request.apiKeyId = principal.keyId;
    request.tenantMaxConversations = principal.maxConversations;
    request.tenantTaskLimits = { maxActiveTasks: principal.maxActiveTasks, minIntervalSeconds: principal.taskMinIntervalSeconds };
    request.log = request.log.child({ tenantId: principal.tenantId });
  });
});

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Admin plane: the ops token from the environment, compared in constant time. */
export const opsAuth = fp(async (app: FastifyInstance, opts: { opsToken: string }) => {
  const expected = digest(opts.opsToken);
  app.addHook('onRequest', async (request) => {
    if (!timingSafeEqual(digest(bearerToken(request)), expected)) throw new AppError('unauthorized', 'invalid ops token');
  });
});
