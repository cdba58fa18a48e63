import type { Logger } from '@warren/core';
import type { Pool } from '@warren/db';

export interface Usage {
  model: string;
  inputTokens: number;
  outputTokens: number;
}

/**
 * Collects metered usage in memory and writes it to control.usage in batches (one row per
 * tenant and model per flush), so the proxy adds no control-schema write to a request. It also
 * keeps running totals per tenant — metered, and written — so that budget checks can add to what
 * the database said exactly what it did not yet hold.
 */
export class UsageMeter {
  private pending = new Map<string, { tenantId: string; model: string; requests: number; input: number; output: number }>();
  private readonly totals = new Map<string, number>();
  private readonly flushed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly pool: Pool;
  private readonly logger: Logger;

  constructor(pool: Pool, logger: Logger, flushEveryMs: number) {
    this.pool = pool;
    this.logger = logger;
    // flush never rejects: a failed write is logged and kept for the next one.
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  record(tenantId: string, usage: Usage): void {
    const key = `${tenantId}\u0000${usage.model}`;
    const row = this.pending.get(key) ?? { tenantId, model: usage.model, requests: 0, input: 0, output: 0 };
    row.requests += 1;
    row.input += usage.inputTokens;
    row.output += usage.outputTokens;
    this.pending.set(key, row);
    this.totals.set(tenantId, this.spentBy(tenantId) + usage.inputTokens + usage.outputTokens);
  }

  /** Tokens this process has metered for the tenant since it started. */
  spentBy(tenantId: string): number {
    return this.totals.get(tenantId) ?? 0;
  }

  /**
   * Of those, the tokens whose write has returned. Read before querying control.usage, it never
   * exceeds what the query sees of this process, so `spentBy − flushedBy` misses nothing.
   */
  flushedBy(tenantId: string): number {
    return this.flushed.get(tenantId) ?? 0;
  }

  /** Writes everything pending; a failed write is kept and retried at the next flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const rows = [...this.pending.values()];
      this.pending = new Map();
      try {
        await this.pool.query(
          `INSERT INTO control.usage (tenant_id, model, requests, input_tokens, output_tokens)
           SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[])`,
          [
            rows.map((r) => r.tenantId),
            rows.map((r) => r.model),
            rows.map((r) => r.requests),
            rows.map((r) => r.input),
            rows.map((r) => r.output),
          ],
        );
        for (const r of rows) this.flushed.set(r.tenantId, this.flushedBy(r.tenantId) + r.input + r.output);
      } catch (err) {
        this.logger.error({ err, rows: rows.length }, 'usage flush failed; will retry');
        for (const r of rows) {
          const key = `${r.tenantId}\u0000${r.model}`;
          const newer = this.pending.get(key);
          this.pending.set(
            key,
            newer ? { ...r, requests: r.requests + newer.requests, input: r.input + newer.input, output: r.output + newer.output } : r,
          );
        }
      }
    });
    return this.flushing;
  }

  /** Writes what is pending one last time; usage it cannot write is logged as lost, with how much. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.pending.size === 0) return;
    const lost = [...this.pending.values()].map(({ tenantId, model, requests, input, output }) => ({
      tenantId,
      model,
      requests,
      inputTokens: input,
      outputTokens: output,
    }));
    this.logger.error({ lost }, 'usage not written before the meter closed; it is lost');
  }
}
