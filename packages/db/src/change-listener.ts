import type { Pool, PoolClient } from './pool.ts';

/** Fired by the trigger on control.api_keys, control.tenants and control.credentials. */
export const AUTH_CHANGED_CHANNEL = 'warren_auth_changed';

/**
 * LISTENs on a dedicated connection and calls `onChange` for every notification — and when the
 * connection is lost, since changes may then go unheard: callers drop their caches and rely on
 * their TTL until they listen again. `listening` says whether notifications can be trusted.
 */
export class ChangeListener {
  private client: PoolClient | undefined;
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
    const client = await pool.connect();
    client.on('notification', () => this.onChange());
    client.on('error', () => {
      this.client = undefined;
      this.onChange();
    });
    await client.query(`LISTEN ${this.channel}`);
    this.client = client;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await client.query(`UNLISTEN ${this.channel}`).catch(() => {});
    client.release();
  }
}
