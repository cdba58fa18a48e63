import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@warren/core';
import { verifyTurnToken } from '@warren/credentials';
import { type Pool, withTenant } from '@warren/db';
import { addTurnUsage, leaseIsLive } from '@warren/turns';
import { Pool as HttpPool } from 'undici';
import { TenantBudgets } from './budgets.ts';
import { sendAnthropicError } from './errors.ts';
import { readBody, type WorstCase, worstCaseOf } from './request-body.ts';
import type { TenantPolicies, TenantPolicy } from './tenant-policies.ts';
import type { Usage, UsageMeter } from './usage-meter.ts';
import { UsageTap } from './usage-tap.ts';

export interface ProxyOptions {
  tokenSecret: string;
  /** Origin of the Messages API (the real one, or the fake in tests and offline demos). */
  upstream: string;
  /** Used for tenants without a key of their own; null means such tenants are refused. */
  platformKey: string | null;
  defaults: { monthlyTokenBudget: number | null; requestsPerMinute: number | null };
  /** Larger request bodies get 413. */
  bodyLimitBytes: number;
  /** For the tenants' own schemas: whether a call's turn runs, and the turn's usage. */
  pool: Pool;
  policies: TenantPolicies;
  meter: UsageMeter;
  logger: Logger;
}

/** Only the Messages API is reachable through the proxy. */
const MESSAGES_PATH = '/v1/messages';
const FORWARDED_PATHS = new Set([MESSAGES_PATH, '/v1/messages/count_tokens']);

/** Counting tokens costs nothing; it reserves nothing. */
const FREE: WorstCase = { inputTokens: 0, maxTokens: 0 };

/** Request headers passed upstream; everything else (every kind of credential above all) is dropped. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'anthropic-version', 'anthropic-beta', 'user-agent'];

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
 * The credential proxy: checks the turn token and that its turn is running, reserves the call's
 * worst case against the tenant's budget, swaps in the real key, forwards to the upstream with
 * the response streamed through unbuffered, and meters what the call cost — to the tenant's
 * usage and to the turn.
 */
export function createCredentialProxy(options: ProxyOptions): CredentialProxy {
  const upstream = new HttpPool(options.upstream, { connections: 256, pipelining: 1 });
  const budgets = new TenantBudgets(options.meter, options.defaults);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method !== 'POST' || !FORWARDED_PATHS.has(path)) {
      return sendAnthropicError(res, 403, 'permission_error', `only POST /v1/messages is available through this proxy`);
    }
    const presented = presentedToken(req);
    const check = presented ? verifyTurnToken(options.tokenSecret, presented) : null;
    if (!check?.ok) {
      options.logger.warn({ path, reason: check?.reason ?? 'missing' }, 'refused turn token');
      return sendAnthropicError(res, 401, 'authentication_error', `invalid turn token (${check?.reason ?? 'missing'})`);
    }
    const { tenantId, sandboxId, turnId, attempt } = check.claims;
    const log = options.logger.child({ tenantId, sandboxId, turnId, attempt });

    // The body is read whole: its size bounds the input, and max_tokens the output.
    const body = await readBody(req, options.bodyLimitBytes);
    if (body === 'too_large') {
      return sendAnthropicError(res, 413, 'request_too_large', `the request body is larger than ${options.bodyLimitBytes} bytes`, {
        connection: 'close',
      });
    }
    let worstCase = FREE;
    if (path === MESSAGES_PATH) {
      const parsed = worstCaseOf(body);
      if (!parsed.ok) return sendAnthropicError(res, 400, 'invalid_request_error', parsed.message);
      worstCase = parsed.worstCase;
    }

    let policy: TenantPolicy | null;
    let live: boolean;
    try {
      policy = await options.policies.get(tenantId);
      live = policy !== null && (await withTenant(options.pool, tenantId, (tx) => leaseIsLive(tx, { turnId, attempt })));
    } catch (err) {
      log.error({ err }, 'tenant state unavailable');
      return sendAnthropicError(res, 503, 'api_error', 'the proxy cannot read this tenant right now; retry shortly');
    }
    if (!policy) return sendAnthropicError(res, 401, 'authentication_error', 'invalid turn token (unknown tenant)');
    if (policy.status !== 'active') return sendAnthropicError(res, 403, 'permission_error', 'this tenant is suspended');
    if (!live) {
      log.warn({ path }, 'refused a call outside its turn');
      return sendAnthropicError(
        res,
        403,
        'permission_error',
        'this turn is not running (it ended or was taken over): the model is reachable only while its turn runs',
      );
    }
    const key = policy.ownKey ?? options.platformKey;
    if (!key) return sendAnthropicError(res, 500, 'api_error', 'no provider key is configured for this tenant');

    const admission = budgets.admit(tenantId, policy, worstCase);
    if (!admission.ok) {
      log.info({ refusal: admission.message }, 'refused over budget');
      return sendAnthropicError(res, 429, 'rate_limit_error', admission.message, { 'retry-after': String(admission.retryAfterS) });
    }
    // Settled exactly once below: by what the call cost, or by nothing when upstream never had it.
    const { reservation } = admission;

    /** Meters the call to the tenant and the turn; false when the turn's figure could not be written. */
    const meter = async (usage: Usage | null): Promise<boolean> => {
      reservation.settle(usage);
      if (!usage) return true;
      try {
        if (!(await withTenant(options.pool, tenantId, (tx) => addTurnUsage(tx, turnId, usage))))
          log.warn('the turn is gone; its usage stays on the tenant only');
        return true;
      } catch (err) {
        log.error({ err }, 'writing the turn usage failed; the response is cut so the turn fails');
        return false;
      }
    };

    const headers: Record<string, string> = { 'x-api-key': key, 'content-length': String(body.length) };
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
        body,
        signal: clientGone.signal,
        headersTimeout: 600_000,
        bodyTimeout: 600_000,
      });
    } catch (err) {
      if (clientGone.signal.aborted) {
        // upstream may have produced a whole answer no one saw: the call costs its worst case
        await meter(
          worstCase === FREE ? null : { model: 'unknown', inputTokens: worstCase.inputTokens, outputTokens: worstCase.maxTokens },
        );
        return log.info({ path }, 'client went away before the answer');
      }
      await meter(null);
      log.warn({ err }, 'upstream unreachable');
      return sendAnthropicError(res, 502, 'api_error', 'the model API is unreachable; retry shortly');
    }

    const responseHeaders: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(upstreamRes.headers)) {
      if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) responseHeaders[name] = value;
    }
    res.writeHead(upstreamRes.statusCode, responseHeaders);
    res.flushHeaders();
    const tap = new UsageTap(upstreamRes.headers['content-type'] as string | undefined);
    let cut = false;
    try {
      for await (const chunk of upstreamRes.body) {
        tap.write(chunk as Buffer);
        if (!res.write(chunk)) await once(res, 'drain', { signal: clientGone.signal });
      }
    } catch (err) {
      cut = true;
      log.warn({ err }, 'stream interrupted');
    }
    // The turn's usage is durable before the response ends, so before the runner can report the turn done.
    const usage = tap.charge(upstreamRes.statusCode, worstCase);
    const recorded = await meter(usage);
    if (cut || !recorded) res.destroy();
    else res.end();
    log.info(
      {
        path,
        status: upstreamRes.statusCode,
        cut,
        model: usage?.model,
        inputTokens: usage?.inputTokens,
        outputTokens: usage?.outputTokens,
        ms: Math.round(performance.now() - started),
      },
      'forwarded',
    );
  };

  return {
    handle(req, res) {
      handle(req, res).catch((err: unknown) => {
        options.logger.error({ err }, 'proxy failure');
        sendAnthropicError(res, 500, 'api_error', 'internal proxy error');
      });
    },
    close: () => upstream.close(),
  };
}
