/**
 * Errors that cross a boundary carry a kind; the HTTP layer maps each kind to an
 * RFC 9457 problem with a stable `type` URI and a status.
 */
export const problemKinds = {
  validation: { status: 400, title: 'Request is not valid' },
  malformed_request: { status: 400, title: 'Malformed HTTP request' },
  unauthorized: { status: 401, title: 'Missing or invalid credentials' },
  forbidden: { status: 403, title: 'Not allowed' },
  tenant_suspended: { status: 403, title: 'Tenant is suspended' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  request_timeout: { status: 408, title: 'Request timeout' },
  conflict: { status: 409, title: 'Conflict' },
  idempotency_mismatch: { status: 409, title: 'Idempotency-Key reused with a different request' },
  api_key_quota_exceeded: { status: 409, title: 'API key quota reached' },
  conversation_quota_exceeded: { status: 409, title: 'Conversation quota reached' },
  assistant_quota_exceeded: { status: 409, title: 'Assistant quota reached' },
  inbound_hook_quota_exceeded: { status: 409, title: 'Inbound hook quota reached' },
  task_quota_exceeded: { status: 409, title: 'Active task quota reached' },
  webhook_endpoint_quota_exceeded: { status: 409, title: 'Webhook endpoint quota reached' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  uri_too_long: { status: 414, title: 'URI too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  hook_mapping_failed: { status: 422, title: "The payload does not fit the hook's mapping" },
  destination_refused: { status: 422, title: 'Webhook destination refused' },
  rate_limited: { status: 429, title: 'Too many requests' },
  stream_quota_exceeded: { status: 429, title: 'Too many open event streams' },
  headers_too_large: { status: 431, title: 'Request header fields too large' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ProblemKind = keyof typeof problemKinds;

export function problemType(kind: ProblemKind): string {
  return `urn:warren:problem:${kind.replaceAll('_', '-')}`;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly kind: ProblemKind;
  readonly extra: Record<string, unknown>;

  constructor(kind: ProblemKind, detail?: string, extra: Record<string, unknown> = {}) {
    super(detail ?? problemKinds[kind].title);
    this.kind = kind;
    this.extra = extra;
  }

  get status(): number {
    return problemKinds[this.kind].status;
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
