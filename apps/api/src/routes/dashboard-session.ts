import { AppError, text } from '@warren/core';
import { type ApiKeyCache, csrfTokenFor, openSession, revokeSession, type SessionSubject } from '@warren/tenancy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestSession, SESSION_COOKIE, sameSecret } from '../plugins/auth.ts';

const signInBody = z.union([
  z.strictObject({ apiKey: text().min(1).max(200).describe("A tenant API key: signs in to the tenant's dashboard.") }),
  z.strictObject({ opsToken: text().min(1).max(200).describe('The ops token: signs in to the ops console.') }),
]);

const sessionSchema = z.object({
  kind: z.enum(['tenant', 'ops']),
  tenantId: z.string().nullable(),
  csrfToken: z.string().describe('Send it as the x-csrf-token header with every write made with the session cookie.'),
  expiresAt: z.iso.datetime(),
});

async function subjectFor(body: z.infer<typeof signInBody>, cache: ApiKeyCache, opsToken: string): Promise<SessionSubject> {
  if ('opsToken' in body) {
    if (!sameSecret(body.opsToken, opsToken)) throw new AppError('unauthorized', 'invalid ops token');
    return { kind: 'ops' };
  }
  const principal = await cache.authenticate(body.apiKey);
  if (!principal) throw new AppError('unauthorized', 'unknown or revoked API key');
  if (principal.tenantStatus !== 'active') throw new AppError('tenant_suspended', 'this tenant is suspended');
  return { kind: 'tenant', tenantId: principal.tenantId, apiKeyId: principal.keyId };
}

/** The cookie: script cannot read it, other sites' requests do not carry it, and over TLS it travels only encrypted. */
function setCookie(request: FastifyRequest, reply: FastifyReply, token: string, expires: Date) {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    expires,
  });
}

/**
 * Dashboard sign-in: a long-lived secret (an API key or the ops token) is exchanged for a
 * short-lived session held in an HttpOnly cookie, so the browser never stores the secret.
 */
export const dashboardSessionRoutes: FastifyPluginAsyncZod<{ opsToken: string; ttlSeconds: number }> = async (
  app,
  { opsToken, ttlSeconds },
) => {
  const tags = ['dashboard'];
  const security: [] = [];

  app.post(
    '/v1/dashboard/session',
    {
      schema: {
        tags,
        security,
        summary: 'Sign in to the dashboard: sets an HttpOnly session cookie',
        description: `The session lasts ${ttlSeconds} s; revoking the key used ends it too.`,
        body: signInBody,
        response: { 201: sessionSchema },
      },
    },
    async (request, reply) => {
      const subject = await subjectFor(request.body, app.apiKeyCache, opsToken);
      const { token, expiresAt } = await openSession(app.controlDb, subject, ttlSeconds);
      setCookie(request, reply, token, expiresAt);
      return reply.code(201).send({
        kind: subject.kind,
        tenantId: subject.kind === 'tenant' ? subject.tenantId : null,
        csrfToken: csrfTokenFor(token),
        expiresAt: expiresAt.toISOString(),
      });
    },
  );

  app.get(
    '/v1/dashboard/session',
    { schema: { tags, security, summary: 'The signed-in session (from its cookie)', response: { 200: sessionSchema } } },
    async (request) => {
      const session = await requestSession(app, request);
      if (!session) throw new AppError('unauthorized', 'not signed in');
      return {
        kind: session.kind,
        tenantId: session.kind === 'tenant' ? session.tenantId : null,
        csrfToken: csrfTokenFor(request.cookies[SESSION_COOKIE]!),
        expiresAt: session.expiresAt.toISOString(),
      };
    },
  );

  app.delete(
    '/v1/dashboard/session',
    { schema: { tags, security, summary: 'Sign out: the session is revoked', response: { 204: z.null() } } },
    async (request, reply) => {
      if (!(await requestSession(app, request))) throw new AppError('unauthorized', 'not signed in');
      await revokeSession(app.controlDb, request.cookies[SESSION_COOKIE]!);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );
};
