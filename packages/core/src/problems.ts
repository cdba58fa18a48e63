/**
 * Errors that cross a boundary carry a kind; the HTTP layer maps each kind to an
 * RFC 9457 problem with a stable `type` URI and a status.
 */
export const problemKinds = {
  validation: { status: 400, title: 'Request is not valid' },
  unauthorized: { status: 401, title: 'Missing or invalid credentials' },
  forbidden: { status: 403, title: 'Not allowed' },
  tenant_suspended: { status: 403, title: 'Tenant is suspended' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  idempotency_mismatch: { status: 409, title: 'Idempotency-Key reused with a different request' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
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
