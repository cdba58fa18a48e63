import type { Pool, PoolClient } from './pool.ts';

/** Fired by the trigger on control.api_keys, control.tenants and control.credentials. */
export const AUTH_CHANGED_CHANNEL = 'warren_auth_changed';

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/**
 * LISTENs on a dedicated connection and calls `onChange` for every notification — and when the
 * connection is lost, since changes may then go unheard. It reconnects with backoff and calls
 * `onChange` once more when it is back; meanwhile `listening` is false, so callers drop their
 * caches and rely on their TTL or polling.
 */
export class ChangeListener {
  private client: PoolClient | undefined;
  private pool: Pool | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly channel: string;
  private readonly onChange: () => void;

  constructor(channel: string, onChange: () => void) {
    this.channel = channel;
    this.onChange = onChange;
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  async listen(pool: Pool): Promise<void> {
    this.pool = pool;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = await this.pool!.connect();
    client.on('notification', () => this.onChange());
    client.on('error', () => this.lost(client));
    try {
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    if (this.closed) return client.release(true); // still listening: not for the pool
    this.client = client;
  }

  private lost(client: PoolClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.release(new Error('listening connection lost'));
    this.onChange();
    this.reconnect(RECONNECT_FIRST_MS);
  }

  private reconnect(delayMs: number): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.connect().then(
        () => this.onChange(), // whatever changed while it was away
        () => this.reconnect(Math.min(delayMs * 2, RECONNECT_MAX_MS)),
      );
    }, delayMs);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      await client.query(`UNLISTEN ${this.channel}`);
    } catch (err) {
      // Broken, or still listening: destroyed rather than handed back to the pool. Nothing else
      // depends on it, so there is nothing to report.
      client.release(err as Error);
      return;
    }
    client.release();
  }
}
