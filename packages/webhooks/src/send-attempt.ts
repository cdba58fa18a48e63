import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { bareHost, type DestinationPolicy, refusedAddress } from './destination.ts';

/** What the receiver's answer keeps of its body. */
const RESPONSE_KEEP_BYTES = 1024;

export interface AttemptOutcome {
  /** The receiver's status; undefined when none came. */
  statusCode?: number;
  /** Why it failed when no status came, or which status was not a success. */
  error?: string;
  /** The start of the answer's body, as text. */
  responseBody?: string;
  durationMs: number;
}

export const succeeded = (o: AttemptOutcome) => o.statusCode !== undefined && o.statusCode >= 200 && o.statusCode < 300;

class DestinationRefused extends Error {}

/**
 * Resolves as the default lookup does, then refuses the connection when any address is not a
 * public one: checked on the addresses actually connected to, so a name that changed what it
 * resolves to since the endpoint was created (DNS rebinding) is still refused.
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    for (const a of addresses) {
      const why = refusedAddress(a.address);
      if (why) return callback(new DestinationRefused(`destination refused: ${hostname} resolves to ${why}`), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};

/**
 * POSTs one signed body and reports how the receiver answered. Never throws: every failure is an
 * outcome to record. Redirects are not followed (a 3xx is a failed attempt); the whole exchange
 * must end within `timeoutMs`; only the first KiB of the answer is read.
 */
export function sendAttempt(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; destinations: DestinationPolicy },
): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const target = new URL(url);
  if (!options.destinations.allowPrivate && isIP(bareHost(target.hostname))) {
    const why = refusedAddress(bareHost(target.hostname));
    if (why) return Promise.resolve({ error: `destination refused: ${why}`, durationMs: elapsed() });
  }
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: {
      ...headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Warren-Webhooks/1',
    },
    signal: AbortSignal.timeout(options.timeoutMs),
    // no keep-alive pool: each attempt stands alone, and a pooled socket would skip the lookup guard
    agent: false,
    ...(options.destinations.allowPrivate ? {} : { lookup: guardedLookup }),
  };
  return new Promise((resolve) => {
    const fail = (err: Error) => {
      const error =
        err instanceof DestinationRefused
          ? err.message
          : err.name === 'AbortError' || err.name === 'TimeoutError'
            ? `timed out after ${options.timeoutMs} ms`
            : `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}`;
      resolve({ error, durationMs: elapsed() });
    };
    const req = request(target, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const finish = () => {
        const statusCode = res.statusCode ?? 0;
        const responseBody = Buffer.concat(chunks).subarray(0, RESPONSE_KEEP_BYTES).toString('utf8');
        const ok = statusCode >= 200 && statusCode < 300;
        resolve({ statusCode, responseBody, durationMs: elapsed(), ...(ok ? {} : { error: `answered ${statusCode}` }) });
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        kept += chunk.length;
        if (kept >= RESPONSE_KEEP_BYTES) finish();
      });
      res.on('end', finish);
      // A body cut short after the status came: the status is what counts.
      res.on('error', finish);
    });
    req.on('error', fail);
    req.end(body);
  });
}
