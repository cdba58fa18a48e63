import type { ControlDb, Pool } from '@warren/db';
import { type ApiKeyPrincipal, authenticateApiKey, hashApiKey } from './api-keys.ts';
import { ControlCache } from './control-cache.ts';

/**
 * Remembers successful key lookups so a request costs no control-plane round trip; revoking a
 * key or changing a tenant's status reaches every process through NOTIFY (see ControlCache).
 */
export class ApiKeyCache {
  private readonly cache: ControlCache<ApiKeyPrincipal>;
  private readonly db: ControlDb;

  constructor(db: ControlDb, options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.db = db;
    this.cache = new ControlCache(options);
  }

  listen(pool: Pool): Promise<void> {
    return this.cache.listen(pool);
  }

  authenticate(key: string): Promise<ApiKeyPrincipal | null> {
    return this.cache.get(hashApiKey(key), () => authenticateApiKey(this.db, key));
  }

  clear(): void {
    this.cache.clear();
  }

  close(): Promise<void> {
    return this.cache.close();
  }
}
