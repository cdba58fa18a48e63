import type { Logger } from '@warren/core';
import { ChangeListener, type Pool, withTenant } from '@warren/db';
import { comparePositions, headPosition, type Position, parseNotification, readEvents, type StoredEvent } from './read-events.ts';
import { EVENTS_CHANNEL } from './record-event.ts';
import { DELTAS_CHANNEL, parseTextDelta, type TextDelta } from './text-deltas.ts';

/**
 * Where a stream's events go. `write` returns false when the client has too much waiting: a live
 * stream is then cut off (events are pushed; they would pile up), a catching-up one waits for
 * `drained` (it reads at the client's pace) and is cut off only when that says false.
 */
export interface EventSink {
  write(event: StoredEvent): boolean;
  /** A live-only text delta (no id); false as for `write`. */
  writeDelta(delta: TextDelta): boolean;
  /** True once what is waiting went out; false when the client did not read it in time or left. */
  drained(): Promise<boolean>;
  /** The stream is over (`slow`: cut off; `error`: a read failed; `closing`: the process stops). The client may resume. */
  end(reason: 'slow' | 'error' | 'closing'): void;
}

export interface Subscription {
  close(): void;
}

const PAGE = 500;
/** A resuming stream reads this many at a time, at its client's pace. */
const CATCH_UP_PAGE = 100;
// An event that was NOTIFYed but is not yet below the horizon (an older transaction still runs)
// is looked for again, sooner at first.
const RETRY_FIRST_MS = 10;
const RETRY_MAX_MS = 1_000;

interface Subscriber {
  sink: EventSink;
  conversationId: string | undefined;
  /** The last event position this subscriber has been given (or has skipped as not its own). */
  position: Position;
  live: boolean;
}

/**
 * One LISTEN connection per process, fanned out in memory: each tenant with open streams has a
 * feed that reads the tenant's new events once per wake-up and hands them to every live stream.
 * Text deltas come on the same connection, whole in their notification, and go only to streams
 * that are live (a catching-up stream would get them out of place): nothing reads or keeps them.
 * A stream that resumes from an older position reads its own way up to the feed first, then
 * joins it; nothing is skipped on the way and its position filter drops what it already had.
 */
export class EventHub {
  private readonly feeds = new Map<string, TenantFeed>();
  private readonly listener: ChangeListener;
  private readonly pool: Pool;
  private readonly logger: Logger;

  constructor(pool: Pool, logger: Logger) {
    this.pool = pool;
    this.logger = logger;
    this.listener = new ChangeListener([EVENTS_CHANNEL, DELTAS_CHANNEL], (payload, channel) => this.notified(payload, channel), {
      logger,
      onReconnect: () => this.notified(undefined),
    });
  }

  listen(): Promise<void> {
    return this.listener.listen(this.pool);
  }

  private notified(payload: string | undefined, channel?: string): void {
    if (payload !== undefined && channel === DELTAS_CHANNEL) {
      const delta = parseTextDelta(payload);
      if (delta) this.feeds.get(delta.tenantId)?.delta(delta);
      else this.logger.warn({ channel }, 'a notification that is not a text delta; ignored');
      return;
    }
    if (payload === undefined) {
      for (const feed of this.feeds.values()) feed.wake(undefined); // the connection dropped: events may have gone unheard
      return;
    }
    const note = parseNotification(payload);
    if (note) this.feeds.get(note.tenantId)?.wake(note.position);
  }

  /** Starts a stream of the tenant's events after `after` (null: from now), of one conversation or all. */
  async subscribe(
    tenantId: string,
    from: { after: Position | null; conversationId?: string | undefined },
    sink: EventSink,
  ): Promise<Subscription> {
    let feed = this.feeds.get(tenantId);
    if (!feed) {
      const created: TenantFeed = new TenantFeed(this.pool, tenantId, this.logger, () => {
        // only this feed: a stream closing twice must not drop the tenant's next feed
        if (this.feeds.get(tenantId) === created) this.feeds.delete(tenantId);
      });
      feed = created;
      this.feeds.set(tenantId, feed);
    }
    return feed.add(sink, from.after, from.conversationId);
  }

  /** Ends every stream (they may resume elsewhere) and stops listening. */
  async close(): Promise<void> {
    for (const feed of this.feeds.values()) feed.endAll('closing');
    this.feeds.clear();
    await this.listener.close();
  }
}

class TenantFeed {
  private readonly subscribers = new Set<Subscriber>();
  /** Settles once the feed knows where the tenant's events stand. */
  private readonly ready: Promise<void>;
  /** Everything up to here was read and handed out (set once `ready`). */
  private current: Position | undefined;
  /** The highest notified position not yet read (an older transaction still ran). */
  private target: Position | undefined;
  private reading = false;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private retryMs = RETRY_FIRST_MS;
  /** Streams waiting for the head: the feed is not empty meanwhile. */
  private joining = 0;

  private readonly pool: Pool;
  private readonly tenantId: string;
  private readonly logger: Logger;
  private readonly onEmpty: () => void;

  constructor(pool: Pool, tenantId: string, logger: Logger, onEmpty: () => void) {
    this.pool = pool;
    this.tenantId = tenantId;
    this.logger = logger;
    this.onEmpty = onEmpty;
    this.ready = withTenant(pool, tenantId, headPosition).then(({ head, latest }) => {
      this.current = head;
      // Committed but not yet final (an older transaction runs): its NOTIFY came before this feed.
      if (comparePositions(latest, head) > 0) this.wake(latest);
    });
  }

  async add(sink: EventSink, after: Position | null, conversationId: string | undefined): Promise<Subscription> {
    this.joining++;
    try {
      await this.ready;
    } catch (err) {
      this.onEmpty(); // the next stream tries again
      throw err;
    } finally {
      this.joining--;
    }
    // From now: what the feed has handed out so far, not where it stood when it was created
    // (a feed lives as long as its tenant has streams; a new stream must not get its history).
    const sub: Subscriber = { sink, conversationId, position: after ?? this.current!, live: false };
    this.subscribers.add(sub);
    const subscription = { close: () => this.remove(sub) };
    this.catchUp(sub).catch((err: unknown) => {
      this.logger.error({ err, tenantId: this.tenantId }, 'an event stream could not catch up; it was ended');
      this.cut(sub, 'error');
    });
    return subscription;
  }

  /** Reads the subscriber's own way up to the feed's position, then lets it join the feed. */
  private async catchUp(sub: Subscriber): Promise<void> {
    for (;;) {
      const through = this.current!;
      if (comparePositions(sub.position, through) >= 0) break;
      const rows = await withTenant(this.pool, this.tenantId, (tx) =>
        readEvents(tx, sub.position, { limit: CATCH_UP_PAGE, conversationId: sub.conversationId, through }),
      );
      for (const event of rows) {
        if (!this.subscribers.has(sub)) return;
        if (this.give(sub, event, false)) continue;
        if (!(await sub.sink.drained())) return this.cut(sub, 'slow');
      }
      if (rows.length < CATCH_UP_PAGE) sub.position = maxPosition(sub.position, through);
    }
    sub.live = true; // synchronously after the check: the feed hands out nothing in between
  }

  /** Hands a text delta to every live subscriber it concerns; one that cannot take it is cut off as for an event. */
  delta(delta: TextDelta): void {
    for (const sub of this.subscribers) {
      if (!sub.live || (sub.conversationId !== undefined && delta.conversationId !== sub.conversationId)) continue;
      if (!sub.sink.writeDelta(delta)) this.cut(sub, 'slow');
    }
  }

  /** Hands one event to a subscriber; false when its client has too much waiting (a live one is then cut off). */
  private give(sub: Subscriber, event: StoredEvent, live = true): boolean {
    if (comparePositions(event, sub.position) <= 0) return true; // had it already (resumed from another process)
    sub.position = { xid: event.xid, id: event.id };
    if (sub.conversationId !== undefined && event.conversationId !== sub.conversationId) return true;
    if (sub.sink.write(event)) return true;
    if (live) this.cut(sub, 'slow');
    return false;
  }

  wake(position: Position | undefined): void {
    if (position && (!this.target || comparePositions(position, this.target) > 0)) this.target = position;
    if (this.reading) {
      this.again = true;
      return;
    }
    clearTimeout(this.retry);
    this.retry = undefined;
    this.reading = true;
    this.readNew().then(
      () => this.doneReading(),
      (err: unknown) => {
        this.logger.error({ err, tenantId: this.tenantId }, 'reading new events failed; trying again');
        this.doneReading(true);
      },
    );
  }

  private async readNew(): Promise<void> {
    await this.ready;
    let from = this.current!;
    for (;;) {
      const rows = await withTenant(this.pool, this.tenantId, (tx) => readEvents(tx, from, { limit: PAGE }));
      for (const event of rows) {
        for (const sub of this.subscribers) if (sub.live) this.give(sub, event);
        from = { xid: event.xid, id: event.id };
      }
      this.current = from;
      if (rows.length < PAGE) return;
    }
  }

  private doneReading(failed = false): void {
    this.reading = false;
    if (this.empty) {
      this.stop();
      return;
    }
    if (this.again) {
      this.again = false;
      this.wake(undefined);
      return;
    }
    const behind = this.target && comparePositions(this.current!, this.target) < 0;
    if (!failed && !behind) {
      this.target = undefined;
      this.retryMs = RETRY_FIRST_MS;
      return;
    }
    this.retry = setTimeout(() => this.wake(undefined), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private cut(sub: Subscriber, reason: 'slow' | 'error'): void {
    this.remove(sub);
    sub.sink.end(reason);
  }

  private remove(sub: Subscriber): void {
    this.subscribers.delete(sub);
    if (this.empty && !this.reading) this.stop();
  }

  private get empty(): boolean {
    return this.subscribers.size === 0 && this.joining === 0;
  }

  private stop(): void {
    clearTimeout(this.retry);
    this.onEmpty();
  }

  endAll(reason: 'closing'): void {
    clearTimeout(this.retry);
    for (const sub of this.subscribers) sub.sink.end(reason);
    this.subscribers.clear();
  }
}

const maxPosition = (a: Position, b: Position) => (comparePositions(a, b) >= 0 ? a : b);
