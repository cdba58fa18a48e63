import type { WorstCase } from './request-body.ts';
import type { Usage } from './usage-meter.ts';

const MAX_JSON_BYTES = 16 * 1024 * 1024;

interface ApiUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

interface StreamEvent {
  type: string;
  message?: { model?: string; usage?: ApiUsage };
  usage?: ApiUsage;
  delta?: { text?: string; partial_json?: string; thinking?: string };
}

const inputOf = (u: ApiUsage) => (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);

/**
 * Reads token usage out of a Messages API response while its bytes pass through untouched:
 * from the `usage` of a JSON body, or from an SSE stream's `message_start` (input) and
 * `message_delta` (final output), counting the content of every delta on the way. Cache reads
 * and writes count as input.
 */
export class UsageTap {
  private readonly streaming: boolean;
  private buffered = '';
  private json: Buffer[] = [];
  private jsonBytes = 0;
  private model = 'unknown';
  /** Input as upstream reported it; undefined until it did. */
  private input: number | undefined;
  private output = 0;
  /** Whether the final output count arrived (JSON usage, or a stream's message_delta). */
  private final = false;
  /** UTF-8 bytes of the content deltas that passed. */
  private contentBytes = 0;

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

  /**
   * What the call is charged (null: nothing). With the final count: what upstream reported. An
   * error answer (status >= 400) that carried none: nothing, upstream bills no such call. Otherwise the
   * response was cut (client or upstream gone): a stream is charged its reported input and one
   * token per byte of content it streamed (a token spans at least one byte; never more than
   * max_tokens), and a call that reported nothing is charged its whole worst case — upstream
   * may have generated a full answer that no one saw.
   */
  charge(status: number, worstCase: WorstCase): Usage | null {
    if (!this.streaming) this.readJson();
    const usage = (inputTokens: number, outputTokens: number) =>
      inputTokens + outputTokens > 0 ? { model: this.model, inputTokens, outputTokens } : null;
    if (this.final) return usage(this.input ?? worstCase.inputTokens, this.output);
    if (status >= 400) return null;
    if (this.input === undefined) return usage(worstCase.inputTokens, worstCase.maxTokens);
    return usage(this.input, Math.min(worstCase.maxTokens, Math.max(this.output, this.contentBytes)));
  }

  private readJson(): void {
    if (this.json.length === 0) return;
    try {
      const body = JSON.parse(Buffer.concat(this.json).toString('utf8')) as { model?: string; usage?: ApiUsage };
      if (body.model) this.model = body.model;
      if (body.usage) {
        this.input = inputOf(body.usage);
        this.output = body.usage.output_tokens ?? 0;
        this.final = true;
      }
    } catch {
      // cut short, or not JSON: nothing reported
    }
    this.json = [];
  }

  private onEvent(raw: string): void {
    const data = raw.split('\n').find((line) => line.startsWith('data:'));
    if (!data) return;
    let event: StreamEvent;
    try {
      event = JSON.parse(data.slice(5)) as StreamEvent;
    } catch {
      return; // a malformed event is passed on; it cannot be metered
    }
    if (event.type === 'content_block_delta' && event.delta) {
      const { text, partial_json, thinking } = event.delta;
      this.contentBytes += Buffer.byteLength(text ?? partial_json ?? thinking ?? '');
    } else if (event.type === 'message_start' && event.message?.usage) {
      if (event.message.model) this.model = event.message.model;
      this.input = inputOf(event.message.usage);
      this.output = event.message.usage.output_tokens ?? 0;
    } else if (event.type === 'message_delta' && event.usage) {
      // cumulative counts; input only in newer API versions
      if (event.usage.input_tokens !== undefined) this.input = inputOf(event.usage);
      this.output = event.usage.output_tokens ?? this.output;
      this.final = true;
    }
  }
}
