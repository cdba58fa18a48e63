import { idSchema, type Logger } from '@warren/core';
import type { Pool } from '@warren/db';
import { z } from 'zod';

// Text deltas are the model's text of a running turn, as it streams in: a live preview for open
// streams, ephemeral by design — not in the events table, no durable id, never replayed on a
// resume, not for webhooks. The turn's message.created that follows is the truth; a delta that
// is lost (a failed publish, a stream catching up, a process restarting) loses nothing else.

/** NOTIFYed for each text delta, the TextDelta as JSON; API processes hand it to live streams. */
export const DELTAS_CHANNEL = 'warren_deltas';

/** Event types only live streams carry (no id); the durable ones are `eventTypes`. */
export const liveEventTypes = ['message.delta'] as const;

/** Postgres refuses a NOTIFY payload of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7999;
/** Deltas of a turn waiting for the one being published; more are dropped (a preview may skip). */
const MAX_WAITING = 16;

export const textDeltaSchema = z.strictObject({
  tenantId: idSchema('tenant'),
  conversationId: idSchema('conversation'),
  turnId: idSchema('turn'),
  attempt: z.number().int().positive(),
  /** From 0 per turn attempt, in the order the model wrote the text. */
  index: z.number().int().nonnegative(),
  /** Raw model text: `<internal>` is not stripped (the stored reply is). */
  text: z.string().min(1).max(MAX_PAYLOAD_BYTES),
});
export type TextDelta = z.infer<typeof textDeltaSchema>;

/** Parses a NOTIFY payload of DELTAS_CHANNEL; null when it is not a delta. */
export function parseTextDelta(payload: string): TextDelta | null {
  try {
    const parsed = textDeltaSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // not JSON: not one of ours
  }
}

/**
 * Publishes one turn's deltas with pg_notify, one at a time so they arrive in order, at most
 * MAX_WAITING waiting (nothing grows without bound). A publish that fails is logged and the turn
 * goes on: deltas are a preview, and the durable message.created that follows is the truth.
 */
export class TextDeltaPublisher {
  private chain: Promise<void> = Promise.resolve();
  private waiting = 0;
  private dropped = 0;
  private readonly pool: Pool;
  private readonly logger: Logger;

  constructor(pool: Pool, logger: Logger) {
    this.pool = pool;
    this.logger = logger;
  }

  publish(delta: TextDelta): void {
    const payload = JSON.stringify(delta);
    if (this.waiting >= MAX_WAITING || Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      this.dropped += 1;
      return;
    }
    this.waiting += 1;
    this.chain = this.chain.then(async () => {
      try {
        await this.pool.query('SELECT pg_notify($1, $2)', [DELTAS_CHANNEL, payload]);
      } catch (err) {
        this.logger.warn({ err, index: delta.index }, 'text delta not published; the turn goes on');
      } finally {
        this.waiting -= 1;
      }
    });
  }

  /** Resolves once every delta taken is published (or failed): a turn commits after its deltas. */
  async idle(): Promise<void> {
    await this.chain;
    if (this.dropped > 0) this.logger.warn({ dropped: this.dropped }, 'text deltas dropped: too many waiting to be published');
    this.dropped = 0;
  }
}
