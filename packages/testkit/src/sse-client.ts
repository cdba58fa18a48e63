export interface StreamedEvent {
  id: number;
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read events by shape
  data: any;
}

export interface EventStreamClient {
  /** The durable events (with an id), in arrival order. */
  events: StreamedEvent[];
  /** Every event, live-only ones (no id: message.delta) included, in arrival order. */
  received: Array<Omit<StreamedEvent, 'id'> & { id: number | undefined }>;
  /** The response status, once the headers arrived. */
  status: Promise<number>;
  /** Settles when the server ends the stream or `close` is called. */
  ended: Promise<void>;
  close(): void;
  /** How often the stream was opened again (with `reconnect`). */
  readonly reconnects: number;
  /** Whether a connection ended by breaking rather than by the server ending the response. */
  readonly cutOff: boolean;
}

/**
 * A text/event-stream reader over real HTTP, as a browser's EventSource reads it; with
 * `reconnect`, a stream the server ends is opened again with the last id seen as Last-Event-ID.
 */
export function openEventStream(url: string, key: string, lastEventId?: number, options: { reconnect?: boolean } = {}): EventStreamClient {
  const abort = new AbortController();
  const events: StreamedEvent[] = [];
  const received: EventStreamClient['received'] = [];
  let resolveStatus: (status: number) => void = () => {};
  const status = new Promise<number>((resolve) => {
    resolveStatus = resolve;
  });
  let reconnects = 0;
  let lastError: unknown;
  const once = async () => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'text/event-stream' };
    const last = events.at(-1)?.id ?? lastEventId;
    if (last !== undefined) headers['last-event-id'] = String(last);
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: abort.signal });
    } catch (err) {
      if (abort.signal.aborted || options.reconnect) return;
      throw err;
    }
    resolveStatus(res.status);
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => !line.startsWith(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
          );
          if (fields.data !== undefined) {
            const event = {
              id: fields.id === undefined ? undefined : Number(fields.id),
              type: fields.event ?? 'message',
              data: JSON.parse(fields.data),
            };
            received.push(event);
            if (event.id !== undefined) events.push({ ...event, id: event.id });
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch (err) {
      // the connection was cut (the server died or cut the stream off): the stream has ended
      if (!abort.signal.aborted) lastError = err;
    }
  };
  const ended = (async () => {
    await once();
    while (options.reconnect && !abort.signal.aborted) {
      reconnects++;
      await new Promise((r) => setTimeout(r, 50));
      await once();
    }
  })();
  return {
    events,
    received,
    status,
    ended,
    close: () => abort.abort(),
    get reconnects() {
      return reconnects;
    },
    get cutOff() {
      return lastError !== undefined;
    },
  };
}
