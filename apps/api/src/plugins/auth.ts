import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@warren/core';
import type { ControlDb } from '@warren/db';
import { type ApiKeyCache, type ApiKeyPrincipal, csrfTokenFor, findSession, type SessionPrincipal } from '@warren/tenancy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** Key lookups; routes that revoke keys or change tenant status clear it. */
    apiKeyCache: ApiKeyCache;
    controlDb: ControlDb;
  }
  interface FastifyRequest {
    /** Set by the tenant-auth hook: whose data this request may touch. */
    tenantId: string;
    apiKeyId: string;
    /** The tenant's own conversation quota, if it has one. */
    tenantMaxConversations: number | null;
    /** The tenant's own assistant quota, if it has one. */
    tenantMaxAssistants: number | null;
    /** The tenant's own scheduled-task limits (null: the API's defaults). */
    tenantTaskLimits: { maxActiveTasks: number | null; minIntervalSeconds: number | null } | null;
  }
}

/** The dashboard's session cookie, and the header its writes must carry (see csrfTokenFor). */
export const SESSION_COOKIE = 'warren_session';
export const CSRF_HEADER = 'x-csrf-token';

const bearer = /^Bearer ([\x21-\x7e]{1,200})$/;
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
const digest = (s: string) => createHash('sha256').update(s).digest();
export const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? bearer.exec(header) : null;
  if (!match) throw new AppError('unauthorized', 'send Authorization: Bearer <key>, or sign in to the dashboard');
  return match[1]!;
}

/**
 * The dashboard session the request's cookie names, or undefined when it sends an Authorization
 * header or no cookie. Writes must echo the session's CSRF token in a header: the cookie is
 * SameSite=Strict already, and a page of another origin can neither read the token nor send
 * a custom header without a CORS preflight, which this API never grants.
 */
export async function requestSession(app: FastifyInstance, request: FastifyRequest): Promise<SessionPrincipal | undefined> {
  const token = request.cookies[SESSION_COOKIE];
  if (request.headers.authorization !== undefined || token === undefined) return undefined;
  const session = await findSession(app.controlDb, token);
  if (!session) throw new AppError('unauthorized', 'the dashboard session has ended; sign in again');
  if (!safeMethods.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameSecret(sent, csrfTokenFor(token))) {
      throw new AppError('forbidden', `a write with a session cookie must send the session's ${CSRF_HEADER} header`);
    }
  }
  return session;
}

async function tenantPrincipal(app: FastifyInstance, request: FastifyRequest): Promise<ApiKeyPrincipal | null> {
  const session = await requestSession(app, request);
  if (session === undefined) return app.apiKeyCache.authenticate(bearerToken(request));
  if (session.kind !== 'tenant') throw new AppError('unauthorized', 'an ops session has no tenant; sign in with an API key');
  return session;
}

/**
 * Whether what authenticated `request` still would: the key not revoked, the session not ended,
 * the tenant still active. For requests that outlive their start (event streams).
 */
export async function stillAuthorized(app: FastifyInstance, request: FastifyRequest): Promise<boolean> {
  try {
    const principal = await tenantPrincipal(app, request);
    return principal !== null && principal.tenantStatus === 'active' && principal.tenantId === request.tenantId;
  } catch (err) {
    if (err instanceof AppError && err.kind === 'unauthorized') return false;
    throw err;
  }
}

/** Tenant plane: an API key, or a dashboard session opened with one, resolves to exactly one tenant, which must be active. */
export const tenantAuth = fp(async (app: FastifyInstance) => {
  app.decorateRequest('tenantId', '');
  app.decorateRequest('apiKeyId', '');
  app.decorateRequest('tenantMaxConversations', null);
  app.decorateRequest('tenantMaxAssistants', null);
  app.decorateRequest('tenantTaskLimits', null);
  app.addHook('onRequest', async (request) => {
    const principal = await tenantPrincipal(app, request);
    if (!principal) throw new AppError('unauthorized', 'unknown or revoked API key');
    if (principal.tenantStatus !== 'active') throw new AppError('tenant_suspended', 'this tenant is suspended');
    request.tenantId = principal.tenantId;
    request.apiKeyId = principal.keyId;
    request.tenantMaxConversations = principal.maxConversations;
    request.tenantMaxAssistants = principal.maxAssistants;
    request.tenantTaskLimits = { maxActiveTasks: principal.maxActiveTasks, minIntervalSeconds: principal.taskMinIntervalSeconds };
    request.log = request.log.child({ tenantId: principal.tenantId });
  });
});

/** Admin plane: the ops token from the environment, compared in constant time, or a dashboard session opened with it. */
export const opsAuth = fp(async (app: FastifyInstance, opts: { opsToken: string }) => {
  app.addHook('onRequest', async (request) => {
    const session = await requestSession(app, request);
    if (session === undefined) {
      if (!sameSecret(bearerToken(request), opts.opsToken)) throw new AppError('unauthorized', 'invalid ops token');
    } else if (session.kind !== 'ops') {
      throw new AppError('unauthorized', 'a tenant session cannot use the ops API');
    }
  });
});
