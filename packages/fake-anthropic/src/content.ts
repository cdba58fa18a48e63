import type { ContentBlock, RequestMessage } from './request-schema.ts';

// Reading what the client sent: the text of a message and the tool results it carries.

export type ToolResultBlock = Extract<ContentBlock, { type: 'tool_result' }>;

export function lastUserMessage(messages: readonly RequestMessage[]): RequestMessage | undefined {
  return messages.findLast((m) => m.role === 'user');
}

/** A message's text: its string content, or its text blocks joined by newlines. */
export function messageText(message: RequestMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
}

export function toolResults(message: RequestMessage): ToolResultBlock[] {
  if (typeof message.content === 'string') return [];
  return message.content.filter((b): b is ToolResultBlock => b.type === 'tool_result');
}

/** A tool result's text: its string content, or its text blocks joined by newlines. */
export function toolResultText(block: ToolResultBlock): string {
  const { content } = block;
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
}
