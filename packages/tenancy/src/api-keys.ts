import { createHash, randomBytes } from 'node:crypto';
import { AppError, newId } from '@warren/core';
import { type ControlDb, controlSchema } from '@warren/db';
import { and, count, desc, eq, isNull } from 'drizzle-orm';

const { apiKeys, tenants } = controlSchema;

const KEY_PREFIX = 'wrn_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface NewApiKey extends ApiKeyInfo {
  /** The key itself: returned once, at creation, and never stored. */
  key: string;
}

const infoColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
};

type ControlTx = Parameters<Parameters<ControlDb['transaction']>[0]>[0];

/** Mints a key (256 random bits) and stores only its SHA-256; `db` may be a transaction. */
export async function createApiKey(db: ControlDb | ControlTx, tenantId: string, name: string): Promise<NewApiKey> {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const [row] = await db
    .insert(apiKeys)
    .values({ id: newId('apiKey'), tenantId, name, prefix: key.slice(0, 12), hash: hashApiKey(key) })
    .returning(infoColumns);
  return { ...row!, key };
}

/**
 * Mints a key unless the tenant already holds its quota of unrevoked keys (its own
 * `max_api_keys`, else `defaultMax`): the rate limit is per key, so unbounded keys would
 * multiply it. Locking the tenant's row first serialises key creation per tenant, and the count
 * then runs in a statement of its own, whose snapshot sees every key committed before the lock
 * was granted. NO KEY UPDATE leaves the api_keys foreign-key checks (KEY SHARE) unblocked.
 */
export function createApiKeyWithinQuota(db: ControlDb, tenantId: string, name: string, defaultMax: number): Promise<NewApiKey> {
  return db.transaction(async (tx) => {
    const [tenant] = await tx.select({ max: tenants.maxApiKeys }).from(tenants).where(eq(tenants.id, tenantId)).for('no key update');
    const max = tenant?.max ?? defaultMax;
    const [held] = await tx
      .select({ n: count() })
      .from(apiKeys)
      .where(and(eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt)));
    if (held!.n >= max) {
      throw new AppError('api_key_quota_exceeded', `this tenant may hold ${max} unrevoked API keys; revoke one first`, {
        quota: 'maxApiKeys',
        limit: max,
      });
    }
    return createApiKey(tx, tenantId, name);
  });
}

export function listApiKeys(db: ControlDb, tenantId: string): Promise<ApiKeyInfo[]> {
  return db.select(infoColumns).from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(desc(apiKeys.id));
}

/** Revokes one of the tenant's keys; false when the tenant has no such live key. */
export async function revokeApiKey(db: ControlDb, tenantId: string, keyId: string): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

export interface ApiKeyPrincipal {
  keyId: string;
  tenantId: string;
  tenantStatus: 'provisioning' | 'active' | 'suspended';
  /** The tenant's own conversation quota, if it has one. */
  maxConversations: number | null;
  /** The tenant's own assistant quota, if it has one. */
  maxAssistants: number | null;
  /** The tenant's own scheduled-task limits, if it has them. */
  maxActiveTasks: number | null;
  taskMinIntervalSeconds: number | null;
}

/** The tenant's columns a principal carries (its status and own limits), selected alike for keys and dashboard sessions. */
export const tenantPrincipalColumns = {
  tenantStatus: tenants.status,
  maxConversations: tenants.maxConversations,
  maxAssistants: tenants.maxAssistants,
  maxActiveTasks: tenants.maxActiveTasks,
  taskMinIntervalSeconds: tenants.taskMinIntervalSeconds,
};

/** Resolves a presented key to its tenant; null for unknown or revoked keys. */
export async function authenticateApiKey(db: ControlDb, key: string): Promise<ApiKeyPrincipal | null> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 100) return null;
  const [row] = await db
    .select({
      keyId: apiKeys.id,
      tenantId: apiKeys.tenantId,
      ...tenantPrincipalColumns,
    })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(and(eq(apiKeys.hash, hashApiKey(key)), isNull(apiKeys.revokedAt)));
  return row ?? null;
}
