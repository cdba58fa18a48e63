import { setTimeout as sleep } from 'node:timers/promises';
import { TEXT_DELTA_INTERVAL_MS, TEXT_DELTA_MAX_CHARS } from '@warren/ipc';
import type { EventWriter } from './events.ts';

/**
 * A turn's model text as it streams in, reported to the host as `text_delta` events: what
 * arrives is coalesced and reported at most once per TEXT_DELTA_INTERVAL_MS, at most
 * TEXT_DELTA_MAX_CHARS at a time (the rest waits for the next report), in order. A report is a
 * preview for live streams: one that cannot be written is logged and the turn goes on.
 */
export class TextDeltas {
  private pending = '';
  private index = 0;
  private lastReport = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private written: Promise<void> = Promise.resolve();
  private readonly turnId: string;
  private readonly write: EventWriter;
  private readonly log: (line: string) => void;

  constructor(turnId: string, write: EventWriter, log: (line: string) => void) {
    this.turnId = turnId;
    this.write = write;
    this.log = log;
  }

  readonly push = (text: string): void => {
    this.pending += text;
    this.schedule();
  };

  /** Reports what is still pending, at the same pace, and resolves once every report is written. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending !== '') {
      await sleep(this.wait());
      this.report();
    }
    await this.written;
  }

  private wait(): number {
    return Math.max(0, this.lastReport + TEXT_DELTA_INTERVAL_MS - performance.now());
  }

  private schedule(): void {
    if (this.timer || this.pending === '') return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.report();
      this.schedule();
    }, this.wait());
  }

  private report(): void {
    let cut = Math.min(this.pending.length, TEXT_DELTA_MAX_CHARS);
    // never between the halves of a surrogate pair
    if (cut < this.pending.length && /[\uD800-\uDBFF]/.test(this.pending[cut - 1]!)) cut -= 1;
    const text = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    this.lastReport = performance.now();
    const event = { type: 'text_delta' as const, turnId: this.turnId, index: this.index++, text };
    this.written = this.written
      .then(() => this.write(event))
      .catch((err: unknown) => this.log(`text delta ${event.index} not reported: ${err instanceof Error ? err.message : String(err)}`));
  }
}
