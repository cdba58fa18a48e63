import type Anthropic from '@anthropic-ai/sdk';
import { APIError, OverloadedError } from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { ask, model, parseSse, post, useFakeAnthropic } from './harness.ts';

const server = useFakeAnthropic();

/** Consecutive repeats of a name folded into `name+`, so sequences do not depend on chunk sizes. */
function runs(names: string[]): string[] {
  const folded: string[] = [];
  for (const [i, name] of names.entries()) {
    if (name === names[i - 1]) folded[folded.length - 1] = `${name}+`;
    else folded.push(name);
  }
  return folded;
}

async function rawEvents(text: string, extra: Record<string, unknown> = {}) {
  const stream = await server.client.messages.create({ ...ask(text), ...extra, stream: true });
  const events: Anthropic.RawMessageStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('POST /v1/messages with stream: true', () => {
  it('sends the real event sequence for a text answer', async () => {
    const events = await rawEvents('#fake text Hello, streaming world! This takes a few deltas.');
    // The SDK drops `ping`; the raw-bytes test below sees it.
    expect(runs(events.map((e) => e.type))).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta+',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const [start] = events;
    expect(start).toMatchObject({
      type: 'message_start',
      message: { type: 'message', role: 'assistant', model, content: [], stop_reason: null },
    });
    expect(start?.type === 'message_start' && start.message.id).toMatch(/^msg_/);
    const text = events.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? [e.delta.text] : []));
    expect(text.length).toBeGreaterThan(1);
    expect(text.join('')).toBe('Hello, streaming world! This takes a few deltas.');
    expect(events.at(-2)).toMatchObject({ type: 'message_delta', delta: { stop_reason: 'end_turn' } });
  });

  it('streams text then tool_use blocks, the tool input as input_json_delta chunks', async () => {
    const input = { city: 'Paris', days: [1, 2, 3], note: 'a longer value to need several chunks' };
    const events = await rawEvents(`#fake text Let me look.\n#fake tool get_weather ${JSON.stringify(input)}`);
    expect(runs(events.map((e) => ('index' in e ? `${e.type}:${e.index}` : e.type)))).toEqual([
      'message_start',
      'content_block_start:0',
      'content_block_delta:0',
      'content_block_stop:0',
      'content_block_start:1',
      'content_block_delta:1+',
      'content_block_stop:1',
      'message_delta',
      'message_stop',
    ]);
    const toolStart = events[4];
    expect(toolStart).toMatchObject({ content_block: { type: 'tool_use', name: 'get_weather', input: {} } });
    const json = events.flatMap((e) =>
      e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? [e.delta.partial_json] : [],
    );
    expect(json.length).toBeGreaterThan(1);
    expect(JSON.parse(json.join(''))).toEqual(input);
    expect(events.at(-2)).toMatchObject({ type: 'message_delta', delta: { stop_reason: 'tool_use' } });
  });

  it('assembles into the same message as the JSON answer with messages.stream().finalMessage()', async () => {
    const text = '#fake text Here you go.\n#fake tool search {"q":"fake"}';
    const streamed = await server.client.messages.stream(ask(text)).finalMessage();
    const json = await server.client.messages.create(ask(text));
    // Ids differ between calls; the stream helper adds parsed_output.
    const strip = (m: Anthropic.Message) => ({
      ...m,
      id: 'x',
      parsed_output: undefined,
      content: m.content.map((b) => (b.type === 'tool_use' ? { ...b, id: 'x' } : b)),
    });
    expect(strip(streamed)).toEqual(strip(json));
    expect(streamed.content).toMatchObject([
      { type: 'text', text: 'Here you go.' },
      { type: 'tool_use', name: 'search', input: { q: 'fake' } },
    ]);
    expect(streamed.stop_reason).toBe('tool_use');
  });

  it('reports the same usage as the JSON answer: input in message_start, output in message_delta', async () => {
    const text = 'tell me a story\n#fake long 3000';
    const json = await server.client.messages.create(ask(text));
    const events = await rawEvents(text);
    const start = events.find((e) => e.type === 'message_start');
    const delta = events.find((e) => e.type === 'message_delta');
    expect(start?.message.usage.input_tokens).toBe(json.usage.input_tokens);
    expect(delta?.usage.output_tokens).toBe(json.usage.output_tokens);
    expect(json.usage).toMatchObject({ input_tokens: Math.ceil(text.length / 4), output_tokens: 750 });
    // Long answers come in many small deltas.
    expect(events.filter((e) => e.type === 'content_block_delta').length).toBeGreaterThan(100);
  });

  it('frames events as `event:`/`data:` with a ping after message_start, as text/event-stream', async () => {
    const res = await post(server.fake, '/v1/messages', JSON.stringify({ ...ask('#fake text hi'), stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    const frames = parseSse(await res.text());
    expect(frames.map((f) => f.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const frame of frames) expect(frame.data).toMatchObject({ type: frame.event });
  });

  it('sends each event when it is ready, not at the end', async () => {
    const stream = await server.client.messages.create({ ...ask('#fake pace 100\n#fake text 0123456789abcdefXYZ'), stream: true });
    const arrivals: number[] = [];
    for await (const _ of stream) arrivals.push(performance.now());
    // Eight events (ping included) written 100 ms apart, 700 ms from first to last; buffered, they
    // would arrive at once. The margin allows for the first one being read late.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(500);
  });

  it('fails mid-stream with an error event on `#fake stream-error`', async () => {
    const stream = await server.client.messages.create({ ...ask('#fake stream-error 529\n#fake long 200'), stream: true });
    const seen: string[] = [];
    const failure = await (async () => {
      try {
        for await (const event of stream) seen.push(event.type);
      } catch (err) {
        return err;
      }
    })();
    expect(seen).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    expect(failure).toBeInstanceOf(APIError);
    expect(failure).toMatchObject({ type: 'overloaded_error', error: { type: 'error', error: { type: 'overloaded_error' } } });
  });

  it('answers a request without stream with the plain error on `#fake stream-error`', async () => {
    const err = await server.client.messages.create(ask('#fake stream-error 529')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OverloadedError);
  });
});
