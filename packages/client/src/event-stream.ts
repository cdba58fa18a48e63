import { type ServerSentEvent, SseParser } from './sse-parser.ts';

export interface EventStreamOptions {
  /** The stream's full URL, e.g. `${baseUrl}/v1/conversations/${id}/events`. */
  url: string | URL;
  /** A tenant API key, sent as `Authorization: Bearer`. */
  apiKey?: string;
  headers?: Record<string, string>;
  /** Resume after this event id (e.g. one saved from a previous run); later ones follow it automatically. */
  lastEventId?: string;
  /** Ends the stream: the iteration finishes without an error. */
  signal?: AbortSignal;
  /** Wait before reconnecting, until the server sets its own with `retry:` (default 1000 ms). */
  retryMs?: number;
  /** Told each time the connection ends or fails and a reconnection is due (`error` is absent for a clean end). */
  onDisconnect?: (info: { error?: unknown; lastEventId: string }) => void;
  fetch?: typeof fetch;
}

/** The server refused the stream with an answer that retrying will not change (4xx other than 429, or not an event stream). */
export class EventStreamError extends Error {
  override name = 'EventStreamError';
  readonly status: number;
  /** The answer's body: problem+json from Warren. */
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    super(`event stream refused: ${status}${typeof body === 'object' && body && 'detail' in body ? ` ${String(body.detail)}` : ''}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * Reads a text/event-stream and yields its events, reconnecting whenever the connection ends
 * or fails, with `Last-Event-ID` set to the last id seen — so a stream with durable ids is
 * read without gaps or repeats across disconnections. An event sent without an id (Warren's
 * live-only `message.delta`) keeps the last id seen as its `lastEventId`, so it never becomes
 * a resume point. Stops on `signal`, on a 204 answer (the
 * standard's "do not reconnect"), or when the loop using it breaks; throws EventStreamError
 * on a refusal.
 *
 *   for await (const event of streamEvents({ url, apiKey })) console.log(event.event, JSON.parse(event.data));
 */
export async function* streamEvents(options: EventStreamOptions): AsyncGenerator<ServerSentEvent, void, undefined> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const parser = new SseParser();
  parser.lastEventId = options.lastEventId ?? '';
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) return;
  try {
    while (!stop.signal.aborted) {
      let error: unknown;
      try {
        const response = await fetchImpl(options.url, { headers: requestHeaders(options, parser.lastEventId), signal: stop.signal });
        if (response.status === 204) return;
        if (!response.ok || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
          const refusal = new EventStreamError(response.status, await readBody(response));
          if (response.status < 500 && response.status !== 429) throw refusal;
          error = refusal;
        } else if (response.body) {
          for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) yield* parser.push(chunk);
        }
      } catch (err) {
        if (err instanceof EventStreamError && error === undefined) throw err;
        error = err;
      }
      if (stop.signal.aborted) return;
      parser.reset();
      options.onDisconnect?.({ ...(error === undefined ? {} : { error }), lastEventId: parser.lastEventId });
      await sleep(parser.retryMs ?? options.retryMs ?? 1000, stop.signal);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stop.abort(); // a loop that broke out leaves no request open
  }
}

function requestHeaders(options: EventStreamOptions, lastEventId: string): Record<string, string> {
  return {
    accept: 'text/event-stream',
    'cache-control': 'no-cache',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    ...options.headers,
  };
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: the text itself is the best account of the refusal
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
