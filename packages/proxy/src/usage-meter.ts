import type { Logger } from '@warren/core';
import type { Pool } from '@warren/db';

export interface Usage {
  model: string;
  inputTokens: number;
  outputTokens: number;
}

/**
 * Collects metered usage in memory and writes it to control.usage in batches (one row per
 * tenant and model per flush), so the proxy adds no database write to a request. It also keeps
 * a running total per tenant that budget checks add to what the database said.
 */
export class UsageMeter {
  private pending = new Map<string, { tenantId: string; model: string; requests: number; input: number; output: number }>();
  private readonly totals = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly pool: Pool;
  private readonly logger: Logger;

  constructor(pool: Pool, logger: Logger, flushEveryMs: number) {
    this.pool = pool;
    this.logger = logger;
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
          [rows.map((r) => r.tenantId), rows.map((r) => r.model), rows.map((r) => r.requests), rows.map((r) => r.input), rows.map((r) => r.output)],
        );
      } catch (err) {
        this.logger.error({ err, rows: rows.length }, 'usage flush failed; will retry');
        for (const r of rows) {
          const key = `${r.tenantId}\u0000${r.model}`;
          const newer = this.pending.get(key);
          this.pending.set(key, newer ? { ...r, requests: r.requests + newer.requests, input: r.input + newer.input, output: r.output + newer.output } : r);
        }
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
