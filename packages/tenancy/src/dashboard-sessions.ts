import { createHash, randomBytes } from 'node:crypto';
import { newId } from '@warren/core';
import { type ControlDb, controlSchema } from '@warren/db';
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { ApiKeyPrincipal } from './api-keys.ts';

const { dashboardSessions, apiKeys, tenants } = controlSchema;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Who a session signs in: a tenant through one of its keys, or the ops console. */
export type SessionSubject = { kind: 'tenant'; apiKeyId: string; tenantId: string } | { kind: 'ops' };

export interface OpenedSession {
  /** The cookie's value: shown once, only its hash is stored. */
  token: string;
  expiresAt: Date;
}

/**
 * The token that writes must echo in a header: derived from the session token, so it needs no
 * storage, and unknowable to a page of another origin (which cannot read the cookie).
 */
export const csrfTokenFor = (sessionToken: string): string => sha256(`csrf:${sessionToken}`);

export async function openSession(db: ControlDb, subject: SessionSubject, ttlSeconds: number): Promise<OpenedSession> {
  const token = `wds_${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await db.insert(dashboardSessions).values({
    id: newId('dashboardSession'),
    tokenHash: sha256(token),
    tenantId: subject.kind === 'tenant' ? subject.tenantId : null,
    apiKeyId: subject.kind === 'tenant' ? subject.apiKeyId : null,
    expiresAt,
  });
  return { token, expiresAt };
}

export type SessionPrincipal = { kind: 'ops'; expiresAt: Date } | ({ kind: 'tenant'; expiresAt: Date } & ApiKeyPrincipal);

/**
 * The live session a cookie names: unexpired, not signed out, and — for a tenant — its key not
 * revoked. Not cached: a sign-out or revocation holds at once on every process.
 */
export async function findSession(db: ControlDb, token: string): Promise<SessionPrincipal | null> {
  if (!token.startsWith('wds_') || token.length > 100) return null;
  const [row] = await db
    .select({
      tenantId: dashboardSessions.tenantId,
      expiresAt: dashboardSessions.expiresAt,
      keyId: apiKeys.id,
      keyRevokedAt: apiKeys.revokedAt,
      tenantStatus: tenants.status,
      maxConcurrentTurns: tenants.maxConcurrentTurns,
      maxConversations: tenants.maxConversations,
    })
    .from(dashboardSessions)
    .leftJoin(apiKeys, eq(apiKeys.id, dashboardSessions.apiKeyId))
    .leftJoin(tenants, eq(tenants.id, dashboardSessions.tenantId))
    .where(
      and(
        eq(dashboardSessions.tokenHash, sha256(token)),
        isNull(dashboardSessions.revokedAt),
        gt(dashboardSessions.expiresAt, new Date()),
        or(isNull(dashboardSessions.tenantId), isNull(apiKeys.revokedAt)),
      ),
    );
  if (!row) return null;
  if (row.tenantId === null) return { kind: 'ops', expiresAt: row.expiresAt };
  return {
    kind: 'tenant',
    expiresAt: row.expiresAt,
    keyId: row.keyId!,
    tenantId: row.tenantId,
    tenantStatus: row.tenantStatus!,
    maxConcurrentTurns: row.maxConcurrentTurns,
    maxConversations: row.maxConversations,
  };
}

/** Signs out: the token is refused from now on. */
export async function revokeSession(db: ControlDb, token: string): Promise<void> {
  await db
    .update(dashboardSessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(dashboardSessions.tokenHash, sha256(token)), isNull(dashboardSessions.revokedAt)));
}
