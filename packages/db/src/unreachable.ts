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
