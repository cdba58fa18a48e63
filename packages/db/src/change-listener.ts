import type { Logger } from '@warren/core';
import type { Pool, PoolClient } from './pool.ts';

/** Fired by the trigger on control.api_keys, control.tenants and control.credentials. */
export const AUTH_CHANGED_CHANNEL = 'warren_auth_changed';

// Short and capped: a listener is one connection attempt per try, and after a Postgres restart
// every wake-up waits for it (a cap of 30 s once left turns unanswered for 25 s).
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 2_000;

export interface ChangeListenerOptions {
  /** Called once the connection is back (default: `onChange`), since changes may have gone unheard. */
  onReconnect?: () => void;
  /** Where a lost or refused connection is reported, once per outage. */
  logger?: Logger;
}

/**
 * LISTENs on a dedicated connection, to one channel or several, and calls `onChange` for every
 * notification, with its payload and channel — and without them when the connection is lost, since changes may then go unheard. It (re)connects with a short backoff,
 * also when the database is down at `listen`, and calls `onReconnect` when it is back; meanwhile
 * `listening` is false, so callers drop their caches and rely on their TTL or polling.
 */
export class ChangeListener {
  private client: PoolClient | undefined;
  private pool: Pool | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private down = false;
  private readonly channels: readonly string[];
  private readonly onChange: (payload?: string, channel?: string) => void;
  private readonly options: ChangeListenerOptions;

  constructor(
    channel: string | readonly string[],
    onChange: (payload?: string, channel?: string) => void,
    options: ChangeListenerOptions = {},
  ) {
    this.channels = typeof channel === 'string' ? [channel] : channel;
    this.onChange = onChange;
    this.options = options;
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Resolves once listening, or once the first try failed (it then keeps trying by itself). */
  async listen(pool: Pool): Promise<void> {
    this.pool = pool;
    try {
      await this.connect();
    } catch (err) {
      this.failed(err, RECONNECT_FIRST_MS);
    }
  }

  private async connect(): Promise<void> {
    const client = await this.pool!.connect();
    client.on('notification', (message) => this.onChange(message.payload, message.channel));
    client.on('error', () => this.lost(client));
    try {
      for (const channel of this.channels) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    if (this.closed) return client.release(true); // still listening: not for the pool
    this.client = client;
    if (this.down) this.options.logger?.info({ channels: this.channels }, 'listening again');
    this.down = false;
  }

  private lost(client: PoolClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.release(new Error('listening connection lost'));
    this.onChange();
    this.failed(new Error('listening connection lost'), RECONNECT_FIRST_MS);
  }

  private failed(err: unknown, delayMs: number): void {
    if (!this.down) this.options.logger?.warn({ err, channels: this.channels }, 'not listening; reconnecting');
    this.down = true;
    this.reconnect(delayMs);
  }

  private reconnect(delayMs: number): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.connect().then(
        () => (this.options.onReconnect ?? this.onChange)(),
        (err: unknown) => this.failed(err, Math.min(delayMs * 2, RECONNECT_MAX_MS)),
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
      for (const channel of this.channels) await client.query(`UNLISTEN ${channel}`);
    } catch (err) {
      // Broken, or still listening: destroyed rather than handed back to the pool. Nothing else
      // depends on it, so there is nothing to report.
      client.release(err as Error);
      return;
    }
    client.release();
  }
}
