/**
 * Requests per minute per tenant, as a token bucket: up to `perMinute` at once, refilled
 * evenly over the minute. In memory, so the limit holds per proxy process.
 */
export class RequestLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes one request from the tenant's bucket; returns the seconds to wait when there is none. */
  take(tenantId: string, perMinute: number, now: number = Date.now()): { ok: true } | { ok: false; retryAfterS: number } {
    const bucket = this.buckets.get(tenantId) ?? { tokens: perMinute, at: now };
    const refilled = Math.min(perMinute, bucket.tokens + ((now - bucket.at) / 60_000) * perMinute);
    if (refilled < 1) {
      this.buckets.set(tenantId, { tokens: refilled, at: now });
      return { ok: false, retryAfterS: Math.ceil(((1 - refilled) * 60) / perMinute) };
    }
    this.buckets.set(tenantId, { tokens: refilled - 1, at: now });
    return { ok: true };
  }
}
