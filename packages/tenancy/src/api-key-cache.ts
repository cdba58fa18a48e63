import { AUTH_CHANGED_CHANNEL, ChangeListener, type ControlDb, type Pool } from '@warren/db';
import { authenticateApiKey, hashApiKey, type ApiKeyPrincipal } from './api-keys.ts';

/**
 * Remembers successful key lookups so a request costs no control-plane round trip. Revoking a
 * key or changing a tenant's status fires NOTIFY (a trigger in `control`), on which every
 * process drops its cache; the TTL bounds staleness should the listening connection be lost.
 * Unknown keys are never cached, so a new key works at once.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { principal: ApiKeyPrincipal; expiresAt: number }>();
  private readonly changes = new ChangeListener(AUTH_CHANGED_CHANNEL, () => this.clear());
  private readonly db: ControlDb;
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(db: ControlDb, options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.db = db;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** LISTEN for auth changes on a dedicated connection; on its loss, the cache is cleared and TTL takes over. */
  listen(pool: Pool): Promise<void> {
    return this.changes.listen(pool);
  }

  async authenticate(key: string): Promise<ApiKeyPrincipal | null> {
    const hash = hashApiKey(key);
    const hit = this.entries.get(hash);
    if (hit && hit.expiresAt > Date.now() && this.changes.listening) return hit.principal;
    const principal = await authenticateApiKey(this.db, key);
    if (principal) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(hash, { principal, expiresAt: Date.now() + this.ttlMs });
    } else {
      this.entries.delete(hash);
    }
    return principal;
  }

  clear(): void {
    this.entries.clear();
  }

  close(): Promise<void> {
    return this.changes.close();
  }
}
