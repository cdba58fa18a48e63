import { createHash, randomBytes } from 'node:crypto';
import { newId } from '@warren/core';
import { type ControlDb, controlSchema } from '@warren/db';
import { and, desc, eq, gt, inArray, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import { type ApiKeyPrincipal, tenantPrincipalColumns } from './api-keys.ts';

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

/** Live sessions one API key (or the ops token) may hold; signing in again past it ends the oldest. */
export const MAX_SESSIONS_PER_SUBJECT = 20;

/**
 * Opens a session. Rows stay bounded: under a lock per subject, its ended sessions are deleted
 * and, past MAX_SESSIONS_PER_SUBJECT live ones, the oldest too (signed out).
 */
export function openSession(db: ControlDb, subject: SessionSubject, ttlSeconds: number): Promise<OpenedSession> {
  const apiKeyId = subject.kind === 'tenant' ? subject.apiKeyId : null;
  const sameSubject = apiKeyId === null ? isNull(dashboardSessions.apiKeyId) : eq(dashboardSessions.apiKeyId, apiKeyId);
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`warren.dashboard-sessions.${apiKeyId ?? 'ops'}`}, 0))`);
    await tx
      .delete(dashboardSessions)
      .where(and(sameSubject, or(isNotNull(dashboardSessions.revokedAt), lte(dashboardSessions.expiresAt, new Date()))));
    const live = await tx
      .select({ id: dashboardSessions.id })
      .from(dashboardSessions)
      .where(sameSubject)
      .orderBy(desc(dashboardSessions.id));
    const oldest = live.slice(MAX_SESSIONS_PER_SUBJECT - 1).map((r) => r.id);
    if (oldest.length > 0) await tx.delete(dashboardSessions).where(inArray(dashboardSessions.id, oldest));
    const token = `wds_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    await tx.insert(dashboardSessions).values({
      id: newId('dashboardSession'),
      tokenHash: sha256(token),
      tenantId: subject.kind === 'tenant' ? subject.tenantId : null,
      apiKeyId,
      expiresAt,
    });
    return { token, expiresAt };
  });
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
      ...tenantPrincipalColumns,
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
  // a tenant session's key and tenant rows exist (inner in effect: the foreign keys and the where above)
  const { keyRevokedAt: _revoked, ...principal } = row;
  return { ...principal, kind: 'tenant', keyId: row.keyId!, tenantId: row.tenantId, tenantStatus: row.tenantStatus! };
}

/** Signs out: the token is refused from now on. */
export async function revokeSession(db: ControlDb, token: string): Promise<void> {
  await db
    .update(dashboardSessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(dashboardSessions.tokenHash, sha256(token)), isNull(dashboardSessions.revokedAt)));
}
