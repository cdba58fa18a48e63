/** What one turn may write to its conversation. */
export interface OutputLimits {
  /** `send_message` outputs. */
  maxOutputs: number;
  /** Bytes of every output together, the final reply included. */
  maxOutputBytes: number;
}

export class OutputQuotaExceeded extends Error {
  override name = 'OutputQuotaExceeded';
  readonly kind = 'output_quota';
}

/**
 * Counts a turn's outputs as they arrive. The first one that would take the turn past a limit
 * is refused, and the turn ends there: an agent cannot fill a conversation (or the database)
 * from one turn.
 */
export class OutputQuota {
  private readonly limits: OutputLimits;
  private outputs = 0;
  private bytes = 0;

  constructor(limits: OutputLimits) {
    this.limits = limits;
  }

  /** Admits one output, or throws OutputQuotaExceeded. `final` replies do not count as a `send_message`. */
  take(text: string, final = false): void {
    const bytes = this.bytes + Buffer.byteLength(text);
    if (!final && this.outputs + 1 > this.limits.maxOutputs) {
      throw new OutputQuotaExceeded(`the turn tried to send more than its limit of ${this.limits.maxOutputs} messages`);
    }
    if (bytes > this.limits.maxOutputBytes) {
      throw new OutputQuotaExceeded(`the turn's output exceeded its limit of ${this.limits.maxOutputBytes} bytes`);
    }
    if (!final) this.outputs += 1;
    this.bytes = bytes;
  }
}
