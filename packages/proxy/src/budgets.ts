import type { WorstCase } from './request-body.ts';
import { RequestLimiter } from './request-limiter.ts';
import type { TenantPolicy } from './tenant-policies.ts';
import type { Usage, UsageMeter } from './usage-meter.ts';

/** A call's hold on its tenant's monthly budget, from admission until it is settled. */
export interface Reservation {
  readonly tokens: number;
  /** Releases the hold and meters what the call really cost (once; later calls do nothing). */
  settle(usage: Usage | null): void;
}

export type Admission = { ok: true; reservation: Reservation } | { ok: false; message: string; retryAfterS: number };

/**
 * The tenant's budgets, per proxy process. A call is admitted only if its worst case fits what
 * is left of the monthly budget after what was used and what calls in flight hold; it then holds
 * its worst case until it is settled with what it really cost. `admit` is synchronous on purpose:
 * check and hold happen in one turn of the event loop, so concurrent calls cannot both take the
 * last tokens. Requests per minute come from a token bucket.
 */
export class TenantBudgets {
  private readonly limiter = new RequestLimiter();
  private readonly held = new Map<string, number>();
  private readonly meter: UsageMeter;
  private readonly defaults: { monthlyTokenBudget: number | null; requestsPerMinute: number | null };

  constructor(meter: UsageMeter, defaults: { monthlyTokenBudget: number | null; requestsPerMinute: number | null }) {
    this.meter = meter;
    this.defaults = defaults;
  }

  admit(tenantId: string, policy: TenantPolicy, worstCase: WorstCase): Admission {
    const tokens = worstCase.inputTokens + worstCase.maxTokens;
    const monthly = policy.monthlyTokenBudget ?? this.defaults.monthlyTokenBudget;
    if (monthly !== null) {
      const used = policy.usedAtLoad + this.meter.spentBy(tenantId) - policy.flushedAtLoad;
      const held = this.held.get(tenantId) ?? 0;
      const left = monthly - used - held;
      if (tokens > left) {
        const cost = `this call could use ${tokens} tokens (input bound ${worstCase.inputTokens} + max_tokens ${worstCase.maxTokens})`;
        const state = `${Math.max(0, left)} of the monthly budget of ${monthly} are left (${used} used, ${held} held by calls in flight)`;
        return { ok: false, message: `monthly token budget exceeded: ${cost}, but ${state}`, retryAfterS: secondsToNextMonth() };
      }
    }
    const perMinute = policy.requestsPerMinute ?? this.defaults.requestsPerMinute;
    if (perMinute !== null) {
      const taken = this.limiter.take(tenantId, perMinute);
      if (!taken.ok)
        return { ok: false, message: `request rate limit exceeded: ${perMinute} requests per minute`, retryAfterS: taken.retryAfterS };
    }
    this.held.set(tenantId, (this.held.get(tenantId) ?? 0) + tokens);
    let settled = false;
    return {
      ok: true,
      reservation: {
        tokens,
        settle: (usage) => {
          if (settled) return;
          settled = true;
          // in one tick with the release, so the tokens are never counted twice or not at all
          if (usage) this.meter.record(tenantId, usage);
          const left = (this.held.get(tenantId) ?? 0) - tokens;
          if (left > 0) this.held.set(tenantId, left);
          else this.held.delete(tenantId);
        },
      },
    };
  }
}

function secondsToNextMonth(now = new Date()): number {
  return Math.ceil((Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - now.getTime()) / 1000);
}
