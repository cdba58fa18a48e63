import type { Logger } from '@warren/core';
import { openSealed, type ProxyKeyPair } from '@warren/credentials';
import { AUTH_CHANGED_CHANNEL, ChangeListener, type Pool } from '@warren/db';

export interface TenantPolicy {
  status: 'provisioning' | 'active' | 'suspended';
  monthlyTokenBudget: number | null;
  requestsPerMinute: number | null;
  /** The tenant's own key, opened; null means the platform key is used. */
  ownKey: string | null;
  /** Tokens used this month according to control.usage when the policy was loaded. */
  usedAtLoad: number;
  /** What this process had written to control.usage for the tenant just before the load: the meter adds everything since. */
  flushedAtLoad: number;
}

/**
 * What the proxy must know about a tenant per request — status, budgets, own key, spend —
 * loaded in one query and cached. A change to tenants or credentials fires NOTIFY (trigger in
 * `control`), which drops the cache; `ttlMs` bounds staleness of the spend from other proxies.
 */
export class TenantPolicies {
  private readonly cache = new Map<string, { policy: TenantPolicy | null; expiresAt: number }>();
  private readonly changes = new ChangeListener(AUTH_CHANGED_CHANNEL, () => this.cache.clear());
  private readonly pool: Pool;
  private readonly keyPair: ProxyKeyPair | undefined;
  private readonly ttlMs: number;
  private readonly logger: Logger;
  private readonly flushed: (tenantId: string) => number;

  constructor(options: {
    pool: Pool;
    keyPair: ProxyKeyPair | undefined;
    ttlMs: number;
    logger: Logger;
    flushed: (tenantId: string) => number;
  }) {
    this.pool = options.pool;
    this.keyPair = options.keyPair;
    this.ttlMs = options.ttlMs;
    this.logger = options.logger;
    this.flushed = options.flushed;
  }

  listen(): Promise<void> {
    return this.changes.listen(this.pool);
  }

  /** The tenant's policy, or null for a tenant that does not exist. */
  async get(tenantId: string): Promise<TenantPolicy | null> {
    const hit = this.cache.get(tenantId);
    if (hit && hit.expiresAt > Date.now() && this.changes.listening) return hit.policy;
    const policy = await this.load(tenantId);
    this.cache.set(tenantId, { policy, expiresAt: Date.now() + this.ttlMs });
    return policy;
  }

  private async load(tenantId: string): Promise<TenantPolicy | null> {
    const flushedAtLoad = this.flushed(tenantId);
    const { rows } = await this.pool.query<{
      status: TenantPolicy['status'];
      monthly_token_budget: string | null;
      requests_per_minute: number | null;
      sealed: string | null;
      used: string;
    }>(
      `SELECT t.status, t.monthly_token_budget, t.requests_per_minute, c.sealed,
              (SELECT coalesce(sum(u.input_tokens + u.output_tokens), 0) FROM control.usage u
                WHERE u.tenant_id = t.id AND u.day >= date_trunc('month', current_date)::date) AS used
         FROM control.tenants t
         LEFT JOIN control.credentials c ON c.tenant_id = t.id AND c.provider = 'anthropic'
        WHERE t.id = $1`,
      [tenantId],
    );
    const row = rows[0];
    if (!row) return null;
    let ownKey: string | null = null;
    if (row.sealed) {
      if (!this.keyPair) throw new Error('tenant has its own key but PROXY_SECRET_KEY is not configured');
      ownKey = await openSealed(this.keyPair, row.sealed).catch((err: Error) => {
        this.logger.error({ tenantId, err }, 'cannot open the tenant key');
        throw new Error('the tenant key cannot be opened with this proxy key pair');
      });
    }
    return {
      status: row.status,
      monthlyTokenBudget: row.monthly_token_budget === null ? null : Number(row.monthly_token_budget),
      requestsPerMinute: row.requests_per_minute,
      ownKey,
      usedAtLoad: Number(row.used),
      flushedAtLoad,
    };
  }

  close(): Promise<void> {
    return this.changes.close();
  }
}
