/**
 * The error kinds the real API answers with, by HTTP status. The body of every error is
 * `{"type":"error","error":{"type":<kind>,"message":…}}`, which the SDK turns into the
 * matching `APIError` subclass (status) with `.type` (kind).
 */
export const errorKinds = {
  400: { type: 'invalid_request_error', message: 'Invalid request' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  402: { type: 'billing_error', message: 'Your credit balance is too low to access the Anthropic API' },
  403: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource' },
  404: { type: 'not_found_error', message: 'Not found' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes' },
  429: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit' },
  500: { type: 'api_error', message: 'Internal server error' },
  504: { type: 'timeout_error', message: 'Request timed out' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
} as const;

export type ErrorStatus = keyof typeof errorKinds;

export const errorStatuses = Object.keys(errorKinds).map(Number) as ErrorStatus[];

export function isErrorStatus(status: number): status is ErrorStatus {
  return Object.hasOwn(errorKinds, status);
}

/** Seconds a 429 asks the client to wait; short, so retrying clients in tests stay fast. */
export const retryAfterSeconds = 1;

/** An error to answer with; thrown anywhere while handling a request. */
export class FakeApiError extends Error {
  override name = 'FakeApiError';
  readonly status: ErrorStatus;

  constructor(status: ErrorStatus, message: string = errorKinds[status].message) {
    super(message);
    this.status = status;
  }

  get type(): string {
    return errorKinds[this.status].type;
  }

  /** The error body the API sends, as an HTTP body and as the data of an SSE `error` event. */
  toBody() {
    return { type: 'error', error: { type: this.type, message: this.message } } as const;
  }
}

export const invalidRequest = (message: string) => new FakeApiError(400, message);
