import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { ask, model, post, useFakeAnthropic } from './harness.ts';

const server = useFakeAnthropic();

const textOf = (message: Anthropic.Message) => message.content.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('');

describe('POST /v1/messages without stream', () => {
  it('echoes the last user message by default', async () => {
    const message = await server.client.messages.create(ask('Hello there'));
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: 'echo: Hello there' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(message.id).toMatch(/^msg_01[0-9A-Za-z]{22}$/);
  });

  it('reads the last user message, text blocks included, and leaves the directive lines out of the echo', async () => {
    const message = await server.client.messages.create({
      model,
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'second question' },
            { type: 'text', text: '#fake sleep 1\nwith a second block' },
          ],
        },
      ],
    });
    expect(textOf(message)).toBe('echo: second question\nwith a second block');
  });

  it('answers exactly the scripted text, one line per `#fake text`', async () => {
    const message = await server.client.messages.create(ask('ignored\n#fake text Hello, world!\n#fake text   second line'));
    expect(textOf(message)).toBe('Hello, world!\n  second line');
  });

  it('answers a long text of the asked length', async () => {
    const message = await server.client.messages.create(ask('#fake long 5000', { max_tokens: 4096 }));
    expect(textOf(message)).toHaveLength(5000);
    expect(message.usage.output_tokens).toBe(1250);
  });

  it('counts usage as ceil(characters / 4): system, texts, tool inputs and results in; output out', async () => {
    const message = await server.client.messages.create({
      model,
      max_tokens: 100,
      system: [{ type: 'text', text: 'x'.repeat(10) }],
      messages: [
        { role: 'user', content: 'y'.repeat(7) },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'look', input: { a: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'zz' }] }] },
      ],
    });
    // 10 + 7 + '{"a":1}'.length (7) + 2 = 26 characters
    expect(message.usage.input_tokens).toBe(7);
    // 'tool result: zz' is 15 characters
    expect(textOf(message)).toBe('tool result: zz');
    expect(message.usage.output_tokens).toBe(4);
  });

  it('stops at max_tokens like the model does', async () => {
    const message = await server.client.messages.create(ask('#fake long 100\n#fake tool never {}', { max_tokens: 5 }));
    expect(textOf(message)).toHaveLength(20);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(5);
  });

  it('counts tokens the same way on /v1/messages/count_tokens', async () => {
    const params = ask(`#fake text whatever\n${'q'.repeat(100)}`);
    const [counted, created] = await Promise.all([
      server.client.messages.countTokens({ model, messages: params.messages }),
      server.client.messages.create(params),
    ]);
    expect(counted.input_tokens).toBe(created.usage.input_tokens);
  });

  it('tolerates unknown top-level fields and the optional ones the SDK sends', async () => {
    const res = await post(
      server.fake,
      '/v1/messages',
      JSON.stringify({
        ...ask('hi'),
        temperature: 0.5,
        top_k: 5,
        metadata: { user_id: 'u1' },
        tool_choice: { type: 'auto' },
        tools: [{ name: 'look', input_schema: { type: 'object' } }],
        some_future_field: { anything: true },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('request-id')).toMatch(/^req_/);
  });
});
