import type { ServerResponse } from 'node:http';
import { AppError } from '@warren/core';
import type { EventHub, Position, StoredEvent, TextDelta } from '@warren/events';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStreamLimits {
  /** Streams one API key may hold open in this process. */
  maxPerKey: number;
  heartbeatMs: number;
  /** Bytes a stream may have waiting for a slow client before it is cut off (it may resume). */
  maxBufferedBytes: number;
  /** How long a resuming stream waits for its client to read what it was sent before it is cut off. */
  drainTimeoutMs: number;
}

function drained(res: ServerResponse, timeoutMs: number): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.writableLength === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

const frame = (e: StoredEvent) =>
  `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({
    id: e.id,
    type: e.type,
    conversationId: e.conversationId,
    createdAt: e.createdAt.toISOString(),
    data: e.payload,
  })}\n\n`;

// No `id:` line: a delta is live-only, so the client's Last-Event-ID stays the last durable event
// and a resume never replays deltas.
const deltaFrame = (d: TextDelta) =>
  `event: message.delta\ndata: ${JSON.stringify({
    type: 'message.delta',
    conversationId: d.conversationId,
    data: { turnId: d.turnId, attempt: d.attempt, index: d.index, text: d.text },
  })}\n\n`;

/**
 * Serves a hub subscription as text/event-stream on the raw response: each event framed with
 * its id (the client's Last-Event-ID to resume), a comment line as heartbeat, and the stream
 * cut off — never buffered without bound — when the client reads slower than events arrive.
 */
export class EventStreams {
  private readonly open = new Map<string, number>();
  private readonly hub: EventHub;
  private readonly limits: EventStreamLimits;

  constructor(hub: EventHub, limits: EventStreamLimits) {
    this.hub = hub;
    this.limits = limits;
  }

  /**
   * `allowed` is asked again at every heartbeat: a stream whose key was revoked, whose tenant was
   * suspended or whose session ended is ended, as any new request of it would be refused.
   */
  async serve(
    request: FastifyRequest,
    reply: FastifyReply,
    from: { after: Position | null; conversationId?: string },
    allowed: () => Promise<boolean>,
  ): Promise<void> {
    const key = request.apiKeyId;
    const count = this.open.get(key) ?? 0;
    if (count >= this.limits.maxPerKey) {
      throw new AppError('stream_quota_exceeded', `an API key may hold ${this.limits.maxPerKey} event streams open at once`, {
        limit: this.limits.maxPerKey,
      });
    }
    this.open.set(key, count + 1);
    const res = reply.raw;
    const fits = () => res.writableLength <= this.limits.maxBufferedBytes;
    let subscription: { close(): void } | undefined;
    let closed = false;
    let heartbeat: NodeJS.Timeout | undefined;
    res.on('close', () => {
      closed = true;
      clearInterval(heartbeat);
      subscription?.close();
      const left = (this.open.get(key) ?? 1) - 1;
      if (left === 0) this.open.delete(key);
      else this.open.set(key, left);
    });
    // The 200 goes out once the subscription holds its position (or with its first event), never
    // before: a client that acts on the 200 must see what it causes.
    const start = () => {
      if (res.headersSent) return;
      reply.hijack();
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      res.write('retry: 1000\n\n');
      let checking = false;
      heartbeat = setInterval(() => {
        res.write(': heartbeat\n\n');
        if (!fits()) return res.destroy();
        if (checking) return;
        checking = true;
        allowed().then(
          (yes) => {
            checking = false;
            if (yes || closed) return;
            request.log.info('event stream ended: its key, session or tenant is no longer allowed');
            res.end();
          },
          (err: unknown) => {
            // the database may be away: the stream goes on, and the next heartbeat asks again
            checking = false;
            request.log.warn({ err }, 'could not check an event stream is still allowed');
          },
        );
      }, this.limits.heartbeatMs);
    };
    try {
      subscription = await this.hub.subscribe(request.tenantId, from, {
        write: (event) => {
          start();
          res.write(frame(event));
          return fits();
        },
        writeDelta: (delta) => {
          start();
          res.write(deltaFrame(delta));
          return fits();
        },
        drained: () => drained(res, this.limits.drainTimeoutMs),
        end: (reason) => {
          start();
          if (reason !== 'slow') return res.end();
          // Destroyed, not ended: an end would wait behind the bytes the client does not read.
          request.log.info('event stream cut off: the client reads too slowly');
          res.destroy();
        },
      });
    } catch (err) {
      if (res.headersSent) {
        request.log.error({ err }, 'event stream could not go on');
        res.end();
        return;
      }
      request.log.error({ err }, 'event stream could not start');
      throw new AppError('unavailable', 'the event stream could not start; try again');
    }
    start();
    if (closed) subscription.close();
  }
}
