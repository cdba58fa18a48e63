import { controlDb, type Pool } from '@warren/db';
import { ControlCache } from './control-cache.ts';
import { getTenant, type Tenant } from './tenants.ts';

/** A tenant's status as workers need it before running its turns, cached like API keys. */
export class TenantStatusCache {
  private readonly cache = new ControlCache<Tenant['status']>();
  private readonly pool: Pool;

  constructor(pool: Pool) {
    this.pool = pool;
  }

  listen(): Promise<void> {
    return this.cache.listen(this.pool);
  }

  /** null for a tenant that does not exist (any more). */
  status(tenantId: string): Promise<Tenant['status'] | null> {
    return this.cache.get(tenantId, async () => (await getTenant(controlDb(this.pool), tenantId))?.status ?? null);
  }

  close(): Promise<void> {
    return this.cache.close();
  }
}
