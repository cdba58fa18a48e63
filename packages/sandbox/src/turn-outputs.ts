import type { OutboundMessage } from '@warren/ipc';

/** Outputs that may wait for an earlier one to arrive; more means a runner gone wrong. */
const MAX_WAITING = 1000;

/**
 * One turn's `send_message` outputs, handed to the turn's handler one at a time in the agent's
 * order (their `seq`), whatever order their files are read in, each awaited before the next.
 * A copy of an output already handled is ignored. The turn may end only once every output the
 * runner reported is handled (`settled`); a handler that fails fails the turn at once.
 */
export class TurnOutputs {
  private readonly handle: (message: OutboundMessage) => Promise<void>;
  private readonly onFailure: (err: Error) => void;
  private readonly waiting = new Map<number, OutboundMessage>();
  private next = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private arrived: (() => void) | undefined;

  constructor(handle: (message: OutboundMessage) => Promise<void>, onFailure: (err: Error) => void) {
    this.handle = handle;
    this.onFailure = onFailure;
  }

  add(message: OutboundMessage): void {
    if (this.failure || message.seq < this.next || this.waiting.has(message.seq)) return;
    if (this.waiting.size >= MAX_WAITING) {
      this.failWith(new Error(`more than ${MAX_WAITING} outputs arrived out of order`));
      return;
    }
    this.waiting.set(message.seq, message);
    this.chain = this.chain.then(() => this.handleInOrder());
  }

  /** Resolves once the first `count` outputs are handled; rejects if one failed or they did not all arrive within `graceMs`. */
  async settled(count: number, graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    for (;;) {
      await this.chain;
      if (this.failure) throw this.failure;
      if (this.next >= count) return;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`the runner reported ${count} messages sent but the host received ${this.next}`);
      await new Promise<void>((resolve) => {
        this.arrived = resolve;
        setTimeout(resolve, left).unref();
      });
    }
  }

  private async handleInOrder(): Promise<void> {
    for (let message = this.waiting.get(this.next); message && !this.failure; message = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      try {
        await this.handle(message);
      } catch (err) {
        return this.failWith(err as Error);
      }
      this.next += 1;
    }
    this.arrived?.();
  }

  private failWith(err: Error): void {
    this.failure = err;
    this.arrived?.();
    this.onFailure(err);
  }
}
