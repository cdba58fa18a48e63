import type { Logger } from '@warren/core';
import { ChangeListener, controlDb, controlSchema, type Pool } from '@warren/db';
import { EVENTS_CHANNEL, parseNotification } from '@warren/events';
import type { WebhookQueue } from '@warren/queue';
import { ENDPOINTS_CHANNEL } from './endpoints.ts';

/** How soon a wake-up that could not be sent (the database was away) is tried again. */
const RETRY_MS = 5_000;

/**
 * Asks for a fan-out (see fanOut) whenever a tenant with webhook endpoints records an event: it
 * hears the events' NOTIFY, as event streams do, and sends a fan-out job keyed by the tenant,
 * which coalesces with one already queued. NOTIFY is not durable — an event committed while no
 * worker listened was announced to no one — so every such tenant is woken once at start and
 * after the LISTEN connection comes back; fan-out reads from each endpoint's own position, so
 * nothing is missed, only found later. A wake-up that fails is logged and retried until it is sent.
 */
export class FanOutTrigger {
  private readonly tenants = new Set<string>();
  private readonly failed = new Set<string>();
  /** Tenants whose wake-up is being sent, and whether another was asked for meanwhile. */
  private readonly sending = new Map<string, boolean>();
  private retry: NodeJS.Timeout | undefined;
  /** Events (a tenant's new ones) and endpoints (a tenant that got one), on one connection. */
  private readonly listener: ChangeListener;
  private readonly pool: Pool;
  private readonly queue: WebhookQueue;
  private readonly logger: Logger;
  /** Called after each wake-up sent (a worker wakes its own fan-out loop at once). */
  private readonly onWake: () => void;

  constructor(options: { pool: Pool; queue: WebhookQueue; logger: Logger; onWake?: () => void }) {
    this.pool = options.pool;
    this.queue = options.queue;
    this.logger = options.logger;
    this.onWake = options.onWake ?? (() => {});
    this.listener = new ChangeListener(
      [EVENTS_CHANNEL, ENDPOINTS_CHANNEL],
      (payload, channel) => {
        if (!payload) return;
        if (channel === ENDPOINTS_CHANNEL) this.tenants.add(payload);
        else this.heard(payload);
      },
      { logger: this.logger, onReconnect: () => this.resync() },
    );
  }

  async start(): Promise<void> {
    await this.listener.listen(this.pool);
    await this.loadTenants();
    for (const tenantId of this.tenants) this.wake(tenantId);
  }

  private heard(payload: string): void {
    const note = parseNotification(payload);
    if (note && this.tenants.has(note.tenantId)) this.wake(note.tenantId);
  }

  private resync(): void {
    this.loadTenants().then(
      () => {
        for (const tenantId of this.tenants) this.wake(tenantId);
      },
      (err: unknown) => {
        this.logger.error({ err }, 'could not read which tenants have webhook endpoints; trying again');
        this.scheduleRetry();
      },
    );
  }

  private async loadTenants(): Promise<void> {
    const rows = await controlDb(this.pool)
      .selectDistinct({ tenantId: controlSchema.webhookEndpoints.tenantId })
      .from(controlSchema.webhookEndpoints);
    for (const { tenantId } of rows) this.tenants.add(tenantId);
  }

  /**
   * One wake-up in flight per tenant: what is heard meanwhile (a transaction's hundred events
   * NOTIFY a hundred times) asks for one more once it is sent, not for a send each. One more,
   * because the job of the send in flight may already have run past the newer events.
   */
  private wake(tenantId: string): void {
    if (this.sending.has(tenantId)) {
      this.sending.set(tenantId, true);
      return;
    }
    this.sending.set(tenantId, false);
    this.queue
      .wakeFanOut(tenantId)
      .then(this.onWake, (err: unknown) => {
        this.logger.error({ err, tenantId }, 'could not ask for a webhook fan-out; trying again');
        this.failed.add(tenantId);
        this.scheduleRetry();
      })
      .finally(() => {
        const again = this.sending.get(tenantId);
        this.sending.delete(tenantId);
        if (again) this.wake(tenantId);
      });
  }

  private scheduleRetry(): void {
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      const again = [...this.failed];
      this.failed.clear();
      if (again.length === 0) this.resync();
      for (const tenantId of again) this.wake(tenantId);
    }, RETRY_MS);
  }

  async close(): Promise<void> {
    clearTimeout(this.retry);
    await this.listener.close();
  }
}
