import type Anthropic from '@anthropic-ai/sdk';

/**
 * An answer's content as it goes back to the model in later calls. Text and tool calls are
 * rebuilt field by field: answers carry fields the request side does not take (the SDK's parse
 * results, a default `caller`). Other block kinds (thinking, server tools) go back unchanged, as
 * the API expects.
 */
export function assistantTurn(content: Anthropic.ContentBlock[]): Anthropic.MessageParam {
  const blocks = content.map((block): Anthropic.ContentBlockParam => {
    if (block.type === 'text') {
      return block.citations ? { type: 'text', text: block.text, citations: block.citations } : { type: 'text', text: block.text };
    }
    if (block.type === 'tool_use') return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
    return block as Anthropic.ContentBlockParam;
  });
  return { role: 'assistant', content: blocks };
}

/** The answer's text blocks, joined: the raw final text of a turn. */
export function answerText(content: Anthropic.ContentBlock[]): string {
  return content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
}

export function toolCalls(content: Anthropic.ContentBlock[]): Anthropic.ToolUseBlock[] {
  return content.filter((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
}
