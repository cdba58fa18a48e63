import type { Usage } from './usage-meter.ts';

const MAX_JSON_BYTES = 16 * 1024 * 1024;

interface ApiUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

const inputOf = (u: ApiUsage) => (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);

/**
 * Reads token usage out of a Messages API response while its bytes pass through untouched:
 * from `message_start` and `message_delta` events of an SSE stream, or from the `usage` of a
 * JSON body. Cache reads and writes count as input.
 */
export class UsageTap {
  private readonly streaming: boolean;
  private buffered = '';
  private json: Buffer[] = [];
  private jsonBytes = 0;
  private model = 'unknown';
  private input = 0;
  private output = 0;
  private seen = false;

  constructor(contentType: string | undefined) {
    this.streaming = (contentType ?? '').startsWith('text/event-stream');
  }

  write(chunk: Buffer): void {
    if (!this.streaming) {
      this.jsonBytes += chunk.length;
      if (this.jsonBytes <= MAX_JSON_BYTES) this.json.push(chunk);
      return;
    }
    this.buffered += chunk.toString('utf8');
    let end = this.buffered.indexOf('\n\n');
    while (end !== -1) {
      this.onEvent(this.buffered.slice(0, end));
      this.buffered = this.buffered.slice(end + 2);
      end = this.buffered.indexOf('\n\n');
    }
  }

  /** The usage seen, or null when the response carried none (an error, say). */
  result(): Usage | null {
    if (!this.streaming && this.json.length > 0) {
      try {
        const body = JSON.parse(Buffer.concat(this.json).toString('utf8')) as { model?: string; usage?: ApiUsage };
        if (body.usage) this.take(body.model, inputOf(body.usage), body.usage.output_tokens ?? 0);
      } catch {
        // not JSON: nothing to meter
      }
      this.json = [];
    }
    return this.seen ? { model: this.model, inputTokens: this.input, outputTokens: this.output } : null;
  }

  private onEvent(raw: string): void {
    // Only two event types carry usage; skip parsing the (many) deltas.
    if (!raw.startsWith('event: message_start') && !raw.startsWith('event: message_delta')) return;
    const data = raw.split('\n').find((line) => line.startsWith('data:'));
    if (!data) return;
    try {
      const event = JSON.parse(data.slice(5)) as { type: string; message?: { model?: string; usage?: ApiUsage }; usage?: ApiUsage };
      if (event.type === 'message_start' && event.message?.usage) {
        this.take(event.message.model, inputOf(event.message.usage), event.message.usage.output_tokens ?? 0);
      } else if (event.type === 'message_delta' && event.usage) {
        // message_delta carries cumulative counts; input only in newer API versions
        const input = event.usage.input_tokens === undefined ? this.input : inputOf(event.usage);
        this.take(undefined, input, event.usage.output_tokens ?? this.output);
      }
    } catch {
      // a malformed event is passed on; it cannot be metered
    }
  }

  private take(model: string | undefined, input: number, output: number): void {
    if (model) this.model = model;
    this.input = input;
    this.output = output;
    this.seen = true;
  }
}
