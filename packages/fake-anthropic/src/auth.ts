import type { IncomingHttpHeaders } from 'node:http';
import { FakeApiError } from './errors.ts';

/**
 * The caller's key: `x-api-key`, as the API documents, or a bearer token, which is how SDK 1.x
 * sends an `apiKey`. With `expected` set only that key passes; otherwise any non-empty one does.
 */
export function authenticate(headers: IncomingHttpHeaders, expected: string | undefined): void {
  const key = headerValue(headers['x-api-key']) || bearerToken(headerValue(headers.authorization));
  if (!key) throw new FakeApiError(401, 'x-api-key header is required');
  if (expected !== undefined && key !== expected) throw new FakeApiError(401, 'invalid x-api-key');
}

const headerValue = (value: string | string[] | undefined): string => (Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));

const bearerToken = (authorization: string): string => /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? '';
