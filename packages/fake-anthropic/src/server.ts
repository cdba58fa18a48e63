import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate } from './auth.ts';
import { FakeApiError, invalidRequest } from './errors.ts';
import { disconnectSignal, parseJson, plainHeaders, readBody, sendError } from './http.ts';
import { newRequestId } from './ids.ts';
import { routes } from './routes.ts';

export interface FakeAnthropicOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Listen on this Unix socket instead of TCP. */
  socketPath?: string;
  /** Accept only this key; without it any non-empty key passes. */
  apiKey?: string;
  /** Fraction (0–1) of Messages calls that fail at random with 500 or 529, for chaos tests. */
  failureRate?: number;
}

export interface RecordedRequest {
  method: string;
  /** As requested, query string included. */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** Set when the client went away before the answer was complete. */
  clientWentAway: boolean;
}

export interface FakeAnthropic {
  /** Base URL for the SDK's `baseURL`, e.g. `http://127.0.0.1:4100`; `http://localhost` on a Unix socket. */
  url: string;
  /** Set when listening on a Unix socket. */
  socketPath: string | undefined;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  /** Forgets the recorded requests. */
  reset(): void;
  /** Stops listening and cuts open connections, in-flight responses included. */
  close(): Promise<void>;
  /** Changes the random failure rate (see FakeAnthropicOptions.failureRate). */
  setFailureRate(rate: number): void;
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const chaos = { failureRate: options.failureRate ?? 0 };
  const server = createServer((req, res) => {
    // handle answers its own errors; this only catches a failure to send that answer.
    handle(req, res, requests, options.apiKey, chaos).catch(() => res.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const onListening = () => {
      server.off('error', reject);
      resolve();
    };
    if (options.socketPath !== undefined) server.listen(options.socketPath, onListening);
    else server.listen(options.port ?? 0, options.host ?? '127.0.0.1', onListening);
  });

  let closing: Promise<void> | undefined;
  return {
    url: options.socketPath !== undefined ? 'http://localhost' : tcpUrl(server.address() as AddressInfo),
    socketPath: options.socketPath,
    requests,
    reset: () => {
      requests.length = 0;
    },
    setFailureRate: (rate) => {
      chaos.failureRate = rate;
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function tcpUrl({ address, port }: AddressInfo): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  requests: RecordedRequest[],
  apiKey: string | undefined,
  chaos: { failureRate: number },
) {
  res.setHeader('request-id', newRequestId());
  const signal = disconnectSignal(res);
  try {
    const { text, tooLarge } = await readBody(req);
    const json = text === '' ? undefined : parseJson(text);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const recorded: RecordedRequest = {
      method,
      path,
      headers: plainHeaders(req.headers),
      body: json?.ok ? json.value : text || undefined,
      clientWentAway: signal.aborted,
    };
    requests.push(recorded);
    signal.addEventListener('abort', () => (recorded.clientWentAway = true), { once: true });

    const route = routes[`${method} ${new URL(path, 'http://fake').pathname}`];
    if (!route) throw new FakeApiError(404, `Not found: ${method} ${path}`);
    authenticate(req.headers, apiKey);
    if (tooLarge) throw new FakeApiError(413);
    if (!json) throw invalidRequest('request body is empty; expected a JSON object');
    if (!json.ok) throw invalidRequest(`request body is not valid JSON: ${json.error}`);
    if (Math.random() < chaos.failureRate) throw new FakeApiError(Math.random() < 0.5 ? 500 : 529);
    await route({ body: json.value, res, signal });
  } catch (err) {
    if (res.headersSent) res.destroy();
    else sendError(res, err instanceof FakeApiError ? err : new FakeApiError(500, `fake-anthropic failed: ${String(err)}`));
  }
}
