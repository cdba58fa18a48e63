import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic } from '../src/index.ts';

export const model = 'claude-fake-1';
export const apiKey = 'sk-test-key';

/** An SDK client for the fake; no retries, so every error reaches the test as sent. */
export function clientFor(fake: Pick<FakeAnthropic, 'url'>, options: { apiKey?: string; maxRetries?: number } = {}): Anthropic {
  return new Anthropic({ baseURL: fake.url, apiKey: options.apiKey ?? apiKey, maxRetries: options.maxRetries ?? 0 });
}

/** A one-message conversation asking `text`. */
export const ask = (text: string, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) => ({
  model,
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: text }],
  ...extra,
});

/** POSTs raw bytes, for what the SDK would never send. */
export function post(fake: FakeAnthropic, path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...headers },
    body,
  });
}

export interface SseFrame {
  event: string;
  data: unknown;
}

/** Splits an SSE body into its frames, checking the `event: …\ndata: …\n\n` framing on the way. */
export function parseSse(text: string): SseFrame[] {
  if (!text.endsWith('\n\n')) throw new Error('SSE body does not end with a blank line');
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      const match = /^event: (.+)\ndata: (.+)$/.exec(frame);
      if (!match) throw new Error(`malformed SSE frame: ${JSON.stringify(frame)}`);
      return { event: match[1]!, data: JSON.parse(match[2]!) };
    });
}

/**
 * A fake server for the test file (started before its tests, closed after) and an SDK client for
 * it; its recorded requests are forgotten before each test.
 */
export function useFakeAnthropic(): { readonly fake: FakeAnthropic; readonly client: Anthropic } {
  let fake: FakeAnthropic | undefined;
  let client: Anthropic | undefined;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
    client = clientFor(fake);
  });
  afterAll(() => fake?.close());
  beforeEach(() => fake?.reset());
  return {
    get fake() {
      return fake!;
    },
    get client() {
      return client!;
    },
  };
}
