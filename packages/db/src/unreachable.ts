import type { Logger } from '@warren/core';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Whether an error says the database cannot be reached right now — refused, dropped, shutting
 * down or still starting (SQLSTATE 57P01–57P03, class 08) — rather than that a request is wrong.
 * Such errors are waited out; any other is a bug or a misconfiguration and is thrown.
 */
export function isDatabaseUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || /^57P0[123]$/.test(code) || code.startsWith('08'))) return true;
  if (/Connection terminated/i.test(err.message)) return true;
  return err instanceof AggregateError && err.errors.some(isDatabaseUnreachable);
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 2_000;

/**
 * Runs `attempt` until it does not fail for an unreachable database, trying again every ≤ 2 s:
 * a process started while Postgres is down waits for it instead of exiting, and goes on within
 * seconds of its return. Other errors are thrown; so is an aborted `signal`'s reason.
 */
export async function retryWhileUnreachable<T>(attempt: () => Promise<T>, logger: Logger, what: string, signal?: AbortSignal): Promise<T> {
  let waited = false;
  for (let delayMs = RETRY_FIRST_MS; ; delayMs = Math.min(delayMs * 2, RETRY_MAX_MS)) {
    signal?.throwIfAborted();
    try {
      const result = await attempt();
      if (waited) logger.info(`database reachable: ${what}`);
      return result;
    } catch (err) {
      if (!isDatabaseUnreachable(err)) throw err;
      if (!waited) logger.warn({ err }, `database unreachable; waiting for it: ${what}`);
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
