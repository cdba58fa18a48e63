import type { Logger } from '@warren/core';
import { TEXT_DELTA_INTERVAL_MS } from '@warren/ipc';
import { LogBudget } from './log-budget.ts';

export interface TextDelta {
  index: number;
  text: string;
}

/** Reports a turn may make at once, and its steady rate: twice the runner's own pace, so only a runner gone wrong meets it. */
export const TEXT_DELTA_BURST = 20;
const PER_MS = 2 / TEXT_DELTA_INTERVAL_MS;

/**
 * One turn's text deltas on their way from the runner, untrusted: passed on in order of `index`
 * at no more than the rate above (a token bucket); a delta out of order or over the rate is
 * dropped and logged (rate-limited). Their size is capped by the IPC schema. Nothing is queued
 * here, so a flooding runner costs no memory: what passes goes straight to `pass`.
 */
export class TextDeltaGate {
  private tokens = TEXT_DELTA_BURST;
  private refilledAt = performance.now();
  private nextIndex = 0;
  private readonly pass: (delta: TextDelta) => void;
  private readonly logs: LogBudget;

  constructor(pass: (delta: TextDelta) => void, logger: Logger) {
    this.pass = pass;
    this.logs = new LogBudget(logger, 'text deltas dropped beyond the rate limit');
  }

  offer(delta: TextDelta): void {
    const now = performance.now();
    this.tokens = Math.min(TEXT_DELTA_BURST, this.tokens + (now - this.refilledAt) * PER_MS);
    this.refilledAt = now;
    const refused = delta.index < this.nextIndex ? 'out of order' : this.tokens < 1 ? 'over the rate limit' : undefined;
    if (refused) {
      this.logs.warn({ index: delta.index, reason: refused }, 'text delta dropped');
      return;
    }
    this.tokens -= 1;
    this.nextIndex = delta.index + 1;
    this.pass(delta);
  }

  /** Logs what the log rate limit held back. */
  flush(): void {
    this.logs.flush();
  }
}
