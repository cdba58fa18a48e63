/** One event of a text/event-stream, as the WHATWG HTML standard's parser dispatches it. */
export interface ServerSentEvent {
  /** `message` unless the server named another type. */
  event: string;
  data: string;
  /** The stream's last event id when this event was dispatched (what Last-Event-ID resumes from). */
  lastEventId: string;
}

/**
 * The event-stream wire format, fed in chunks of decoded text: lines end in CRLF, LF or CR;
 * `field: value` (one leading space dropped), `:` starts a comment, a blank line dispatches.
 * `id` without NUL sets the last event id (kept across events and reconnections); `retry`
 * with digits only sets the reconnection delay.
 */
export class SseParser {
  lastEventId = '';
  retryMs: number | undefined;
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private started = false;

  push(chunk: string): ServerSentEvent[] {
    this.buffer += chunk;
    if (!this.started && this.buffer.length > 0) {
      this.started = true;
      if (this.buffer.startsWith('\uFEFF')) this.buffer = this.buffer.slice(1);
    }
    const events: ServerSentEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // A CR at the very end may be the first half of a CRLF still in flight.
      if (end === -1 || (end === this.buffer.length - 1 && this.buffer[end] === '\r')) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  /** Forgets a half-received event: a new connection starts clean (the last event id stays). */
  reset(): void {
    this.buffer = '';
    this.data = [];
    this.event = '';
    this.started = false;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\u0000')) this.lastEventId = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const data = this.data;
    const event = this.event || 'message';
    this.data = [];
    this.event = '';
    if (data.length === 0) return undefined;
    return { event, data: data.join('\n'), lastEventId: this.lastEventId };
  }
}
