import type { Logger } from '@warren/core';
import type { Pool, PoolClient } from '@warren/db';

// Short and capped, like the change listeners': while the lock is not held, other workers count
// this worker's turns as dead and may start turns past its tenants' caps.
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 2_000;

/** The advisory-lock key of a worker id, as SQL over `idExpr` (a column or a parameter). */
export const workerLockKey = (idExpr: string) => `hashtextextended('warren.worker.' || ${idExpr}, 0)`;

/**
 * True in SQL when the worker named by `idExpr` is alive: its session still holds its lock. A
 * probe that finds the lock free takes it shared for the rest of its transaction, which never
 * conflicts with other probes and only delays a worker starting under the same id.
 */
export const workerIsAlive = (idExpr: string) => `NOT pg_try_advisory_xact_lock_shared(${workerLockKey(idExpr)})`;

/**
 * Holds a session advisory lock named after the worker on a dedicated connection for as long as
 * the worker lives. Postgres drops it the moment the worker's connection goes — a SIGKILL, a
 * crash, a lost host — so other workers know at once that its turns hold no tenant slot, seconds
 * before their leases lapse and longer before the queue's heartbeat notices.
 */
export class WorkerLiveness {
  private client: PoolClient | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly pool: Pool;
  private readonly workerId: string;
  private readonly logger: Logger;

  constructor(pool: Pool, workerId: string, logger: Logger) {
    this.pool = pool;
    this.workerId = workerId;
    this.logger = logger;
  }

  /** Takes the lock; throws when another live worker holds the same id. */
  async start(): Promise<void> {
    if (!(await this.take())) throw new Error(`another live worker has the id ${this.workerId}`);
  }

  private async take(): Promise<boolean> {
    const client = await this.pool.connect();
    client.on('error', (err) => this.lost(client, err));
    let held: boolean;
    try {
      const { rows } = await client.query<{ held: boolean }>(`SELECT pg_try_advisory_lock(${workerLockKey('$1')}) AS held`, [
        this.workerId,
      ]);
      held = rows[0]?.held === true;
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    if (!held || this.closed) {
      client.release(true); // a session lock must not stay with a pooled connection
      return held;
    }
    this.client = client;
    return true;
  }

  private lost(client: PoolClient, err: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.release(err);
    this.logger.warn({ err, workerId: this.workerId }, 'liveness lock lost with its connection; taking it again');
    this.again(RETRY_FIRST_MS);
  }

  private again(delayMs: number): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.take().then(
        (held) => {
          // not held: the old session is not gone yet on the server side
          if (held) this.logger.info({ workerId: this.workerId }, 'liveness lock held again');
          else this.again(Math.min(delayMs * 2, RETRY_MAX_MS));
        },
        () => this.again(Math.min(delayMs * 2, RETRY_MAX_MS)),
      );
    }, delayMs);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    client?.release(true); // closing the session releases the lock
  }
}
