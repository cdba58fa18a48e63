import { AUTH_CHANGED_CHANNEL, ChangeListener, type Pool } from '@warren/db';

/**
 * Control-plane lookups remembered per process. A change to tenants, API keys or credentials
 * fires NOTIFY (a trigger in `control`), on which every process drops its entries; the TTL bounds
 * staleness should the listening connection be lost. Misses (null) are never cached, so a new
 * key or tenant is seen at once.
 */
export class ControlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly changes = new ChangeListener(AUTH_CHANGED_CHANNEL, () => this.clear());
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** LISTEN for changes on a dedicated connection; on its loss, entries are cleared and the TTL takes over. */
  listen(pool: Pool): Promise<void> {
    return this.changes.listen(pool);
  }

  async get(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > Date.now() && this.changes.listening) return hit.value;
    const value = await load();
    if (value === null) {
      this.entries.delete(key);
    } else {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, { value, expiresAt: Date.now() + this.ttlMs });
    }
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  close(): Promise<void> {
    return this.changes.close();
  }
}
