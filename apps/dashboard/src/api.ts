// The dashboard's one way to the API: same-origin fetch with the session cookie, the CSRF
// token on writes, problem+json errors as ApiError. Views read through TanStack Query hooks
// built on it, so a typed client or an event stream can replace it in one place.

import type { paths } from '@warren/client';
import type { TenantLimitKey } from './limits.ts';

export class ApiError extends Error {
  readonly status: number;
  /** A validation problem's `errors`, by field path: the message of each field the API refused. */
  readonly fields: Record<string, string>;
  /** The problem's `type` without its `urn:warren:problem:` prefix, e.g. `destination-refused`. */
  readonly problem: string | null;
  constructor(status: number, message: string, fields: Record<string, string> = {}, problem: string | null = null) {
    super(message);
    this.status = status;
    this.fields = fields;
    this.problem = problem;
  }
}

function fieldErrors(body: unknown): Record<string, string> {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return {};
  const fields: Record<string, string> = {};
  for (const e of errors as Array<{ path?: unknown; message?: unknown }>) {
    if (typeof e?.path === 'string' && typeof e.message === 'string') fields[e.path] ??= e.message;
  }
  return fields;
}

let csrfToken: string | null = null;

/** A body that is not JSON (a proxy's error page) reads as null; the status still tells what happened. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return null;
    throw err;
  }
}

/** Kept in memory only: a reload asks GET /v1/dashboard/session again. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (res.status === 204) return undefined as T;
  const body = parseJson(await res.text());
  if (!res.ok) {
    const { detail, type } = (body ?? {}) as { detail?: unknown; type?: unknown };
    const problem = typeof type === 'string' ? type.replace(/^urn:warren:problem:/, '') : null;
    throw new ApiError(res.status, typeof detail === 'string' ? detail : `${res.status} ${res.statusText}`, fieldErrors(body), problem);
  }
  return body as T;
}

// ---- shapes the views read (as the API's OpenAPI schema gives them)

export interface Session {
  kind: 'tenant' | 'ops';
  tenantId: string | null;
  csrfToken: string;
  expiresAt: string;
}
export interface Page<T> {
  data: T[];
  next: string | null;
}
export interface Conversation {
  id: string;
  externalId: string | null;
  title: string | null;
  assistantName: string;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
}
export interface Message {
  id: string;
  seq: number;
  role: 'user' | 'assistant';
  sender: string | null;
  content: string;
  rawContent: string | null;
  turnId: string | null;
  createdAt: string;
}
export interface Turn {
  id: string;
  conversationId: string;
  kind: 'message' | 'task';
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  covered: { afterSeq: number; throughSeq: number };
  attempt: number;
  outputSent: boolean;
  error: { message: string; kind?: string } | null;
  usage: { inputTokens: number; outputTokens: number } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}
export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  key?: string;
}
export interface Credential {
  provider: 'anthropic';
  hint: string;
  updatedAt: string;
}
export interface Usage {
  monthlyTokenBudget: number | null;
  days: Array<{ day: string; requests: number; inputTokens: number; outputTokens: number }>;
}
export type Tenant = {
  id: string;
  name: string;
  status: 'provisioning' | 'active' | 'suspended';
} & Record<TenantLimitKey, number | null>;
export interface QueueStat {
  name: string;
  queued: number;
  active: number;
  oldestQueuedSeconds: number;
}
export interface DeadTurn extends Turn {
  tenantId: string;
}
export interface WorkerInfo {
  id: string;
  host: string;
  startedAt: string;
  lastSeen: string;
  sandboxesLive: number;
}

// Webhook and task shapes come from the generated client's schema (packages/client): a change in the API fails the typecheck here.
type Answer<P extends keyof paths, M extends 'get' | 'post', S extends 200 | 201 | 202> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer B } } };
}
  ? B
  : never;

export type WebhookEndpoint = Answer<'/v1/webhook-endpoints/{id}', 'get', 200>;
export type WebhookEndpointWithSecret = Answer<'/v1/webhook-endpoints', 'post', 201>;
export type WebhookDelivery = Answer<'/v1/webhook-endpoints/{id}/deliveries', 'get', 200>['data'][number];
export type WebhookDeliveryDetail = Answer<'/v1/webhook-deliveries/{id}', 'get', 200>;
export type WebhookEventType = WebhookEndpoint['eventTypes'][number];

export type Task = Answer<'/v1/tasks/{id}', 'get', 200>;
export type TaskRun = Answer<'/v1/tasks/{id}/runs', 'get', 200>['data'][number];
export type TaskRunStarted = Answer<'/v1/tasks/{id}/run', 'post', 202>;
export type NewTask = NonNullable<paths['/v1/tasks']['post']['requestBody']>['content']['application/json'];
export type TaskChange = NonNullable<paths['/v1/tasks/{id}']['patch']['requestBody']>['content']['application/json'];
