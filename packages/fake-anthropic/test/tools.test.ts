import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { model, useFakeAnthropic } from './harness.ts';

const server = useFakeAnthropic();

const tools: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Current weather of a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

/** Runs the tool calls of `response` with `run` and returns the user message carrying the results. */
function toolResultsFor(response: Anthropic.Message, run: (input: unknown) => string): Anthropic.MessageParam {
  return {
    role: 'user',
    content: response.content.flatMap((block) =>
      block.type === 'tool_use' ? [{ type: 'tool_result' as const, tool_use_id: block.id, content: run(block.input) }] : [],
    ),
  };
}

describe('tool use', () => {
  it('round-trips: the model calls a tool, the client answers, the model sees the result', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'What is the weather in Paris?\n#fake tool get_weather {"city":"Paris"}' },
    ];
    const first = await server.client.messages.create({ model, max_tokens: 1024, tools, messages });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_01[0-9A-Za-z]{22}$/),
        name: 'get_weather',
        input: { city: 'Paris' },
        caller: { type: 'direct' },
      },
    ]);

    messages.push(
      { role: 'assistant', content: first.content },
      toolResultsFor(first, (input) => `sunny in ${(input as { city: string }).city}`),
    );
    const second = await server.client.messages.create({ model, max_tokens: 1024, tools, messages });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content).toMatchObject([{ type: 'text', text: 'tool result: sunny in Paris' }]);
  });

  it('round-trips when streaming too, with text before the call and parallel calls', async () => {
    const messages: Anthropic.MessageParam[] = [
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text: '#fake text Checking both.\n#fake tool get_weather {"city":"Oslo"}\n#fake tool get_weather {"city":"Rome"}',
          },
        ],
      },
    ];
    const first = await server.client.messages.stream({ model, max_tokens: 1024, tools, messages }).finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content.map((b) => (b.type === 'tool_use' ? b.input : b.type))).toEqual(['text', { city: 'Oslo' }, { city: 'Rome' }]);

    messages.push(
      { role: 'assistant', content: first.content },
      toolResultsFor(first, (input) => `${(input as { city: string }).city}: 12°C`),
    );
    const second = await server.client.messages.stream({ model, max_tokens: 1024, tools, messages }).finalMessage();
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content).toMatchObject([{ type: 'text', text: 'tool result: Oslo: 12°C\ntool result: Rome: 12°C' }]);
  });

  it('says so when the tool failed, and reads results given as text blocks', async () => {
    const answer = await server.client.messages.create({
      model,
      max_tokens: 1024,
      tools,
      messages: [
        { role: 'user', content: '#fake tool get_weather {}' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_x', name: 'get_weather', input: {} }] },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_x', is_error: true, content: [{ type: 'text', text: 'city is required' }] }],
        },
      ],
    });
    expect(answer.content).toMatchObject([{ type: 'text', text: 'tool error: city is required' }]);
  });

  it('can be scripted on from the tool result message, for agent loops of several steps', async () => {
    const answer = await server.client.messages.create({
      model,
      max_tokens: 1024,
      tools,
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_x', name: 'get_weather', input: { city: 'A' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_x', content: 'rain' },
            { type: 'text', text: '#fake tool get_weather {"city":"B"}' },
          ],
        },
      ],
    });
    expect(answer.stop_reason).toBe('tool_use');
    expect(answer.content).toMatchObject([{ type: 'tool_use', input: { city: 'B' } }]);
  });
});
