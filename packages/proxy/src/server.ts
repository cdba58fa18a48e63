import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@warren/core';
import { verifySandboxToken } from '@warren/credentials';
import { Pool as HttpPool } from 'undici';
import { sendAnthropicError } from './errors.ts';
import { RequestLimiter } from './request-limiter.ts';
import type { TenantPolicies, TenantPolicy } from './tenant-policies.ts';
import type { UsageMeter } from './usage-meter.ts';
import { UsageTap } from './usage-tap.ts';

export interface ProxyOptions {
  tokenSecret: string;
  /** Origin of the Messages API (the real one, or the fake in tests and offline demos). */
  upstream: string;
  /** Used for tenants without a key of their own; null means such tenants are refused. */
  platformKey: string | null;
  defaults: { monthlyTokenBudget: number | null; requestsPerMinute: number | null };
  policies: TenantPolicies;
  meter: UsageMeter;
  logger: Logger;
}

/** Only the Messages API is reachable through the proxy. */
const FORWARDED_PATHS = new Set(['/v1/messages', '/v1/messages/count_tokens']);

/** Request headers passed upstream; everything else (every kind of credential above all) is dropped. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'content-length', 'accept', 'anthropic-version', 'anthropic-beta', 'user-agent'];

/** Response headers not passed back: hop-by-hop ones, and cookies the sandbox has no use for. */
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'set-cookie']);

/** SDKs send their API key as `x-api-key` or, newer ones, as `Authorization: Bearer`. */
function presentedToken(req: IncomingMessage): string | undefined {
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string') return apiKey;
  const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  return bearer?.[1];
}

export interface CredentialProxy {
  /** The request handler, for one or more node:http servers (unix socket, TCP). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Closes upstream connections; close the servers first. */
  close(): Promise<void>;
}

/**
 * The credential proxy: checks the sandbox token, enforces the tenant's budgets, swaps in the
 * real key, forwards to the upstream with the response streamed through unbuffered, and meters
 * the tokens it reports.
 */
export function createCredentialProxy(options: ProxyOptions): CredentialProxy {
  const upstream = new HttpPool(options.upstream, { connections: 256, pipelining: 1 });
  const limiter = new RequestLimiter();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method !== 'POST' || !FORWARDED_PATHS.has(path)) {
      return sendAnthropicError(res, 403, 'permission_error', `only POST /v1/messages is available through this proxy`);
    }
    const presented = presentedToken(req);
    const check = presented ? verifySandboxToken(options.tokenSecret, presented) : null;
    if (!check?.ok) {
      options.logger.warn({ path, reason: check?.reason ?? 'missing' }, 'refused sandbox token');
      return sendAnthropicError(res, 401, 'authentication_error', `invalid sandbox token (${check?.reason ?? 'missing'})`);
    }
    const { tenantId, sandboxId } = check.claims;
    const log = options.logger.child({ tenantId, sandboxId });

    let policy: TenantPolicy | null;
    try {
      policy = await options.policies.get(tenantId);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'tenant policy unavailable');
      return sendAnthropicError(res, 503, 'api_error', 'the proxy cannot read this tenant right now; retry shortly');
    }
    if (!policy) return sendAnthropicError(res, 401, 'authentication_error', 'invalid sandbox token (unknown tenant)');
    if (policy.status !== 'active') return sendAnthropicError(res, 403, 'permission_error', 'this tenant is suspended');

    const refusal = budgetRefusal(policy, tenantId);
    if (refusal) {
      log.info({ refusal: refusal.message }, 'refused over budget');
      return sendAnthropicError(res, 429, 'rate_limit_error', refusal.message, { 'retry-after': String(refusal.retryAfterS) });
    }
    const key = policy.ownKey ?? options.platformKey;
    if (!key) return sendAnthropicError(res, 500, 'api_error', 'no provider key is configured for this tenant');

    const headers: Record<string, string> = { 'x-api-key': key };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }

    // A client that goes away (a sandbox killed mid-turn) stops the upstream call too, whether it
    // is still waiting for the answer or streaming it.
    const clientGone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) clientGone.abort();
    });
    let upstreamRes;
    try {
      upstreamRes = await upstream.request({
        path,
        method: 'POST',
        headers,
        body: req,
        signal: clientGone.signal,
        headersTimeout: 600_000,
        bodyTimeout: 600_000,
      });
    } catch (err) {
      if (clientGone.signal.aborted) return log.info({ path }, 'client went away before the answer');
      log.warn({ err: (err as Error).message }, 'upstream unreachable');
      return sendAnthropicError(res, 502, 'api_error', 'the model API is unreachable; retry shortly');
    }

    const responseHeaders: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(upstreamRes.headers)) {
      if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) responseHeaders[name] = value;
    }
    res.writeHead(upstreamRes.statusCode, responseHeaders);
    res.flushHeaders();
    const tap = new UsageTap(upstreamRes.headers['content-type'] as string | undefined);
    try {
      for await (const chunk of upstreamRes.body) {
        tap.write(chunk as Buffer);
        if (!res.write(chunk)) await once(res, 'drain');
      }
      res.end();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'stream interrupted');
      res.destroy();
    } finally {
      const usage = tap.result();
      if (usage) options.meter.record(tenantId, usage);
      log.info(
        { path, status: upstreamRes.statusCode, model: usage?.model, inputTokens: usage?.inputTokens, outputTokens: usage?.outputTokens, ms: Math.round(performance.now() - started) },
        'forwarded',
      );
    }
  };

  function budgetRefusal(policy: TenantPolicy, tenantId: string): { message: string; retryAfterS: number } | null {
    const monthly = policy.monthlyTokenBudget ?? options.defaults.monthlyTokenBudget;
    if (monthly !== null) {
      const used = policy.usedAtLoad + options.meter.spentBy(tenantId) - policy.meteredAtLoad;
      if (used >= monthly) {
        const now = new Date();
        const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
        return {
          message: `monthly token budget exhausted: ${used} of ${monthly} tokens used this month`,
          retryAfterS: Math.ceil((nextMonth - now.getTime()) / 1000),
        };
      }
    }
    const perMinute = policy.requestsPerMinute ?? options.defaults.requestsPerMinute;
    if (perMinute !== null) {
      const taken = limiter.take(tenantId, perMinute);
      if (!taken.ok) return { message: `request rate limit exceeded: ${perMinute} requests per minute`, retryAfterS: taken.retryAfterS };
    }
    return null;
  }

  return {
    handle(req, res) {
      handle(req, res).catch((err: Error) => {
        options.logger.error({ err: err.message }, 'proxy failure');
        sendAnthropicError(res, 500, 'api_error', 'internal proxy error');
      });
    },
    close: () => upstream.close(),
  };
}
