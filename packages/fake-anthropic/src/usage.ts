import { toolResultText } from './content.ts';
import type { ContentBlock, CountTokensBody, RequestMessage } from './request-schema.ts';

// Token counts the fake reports: a deterministic stand-in of about four characters per token,
// so budgets and accounting downstream see numbers that move with the size of the conversation.

export const tokensFor = (chars: number): number => Math.max(1, Math.ceil(chars / 4));

/** Characters of the system prompt, every message's text, tool inputs (as JSON) and tool results. */
export function inputChars(body: Pick<CountTokensBody, 'system' | 'messages'>): number {
  let chars = typeof body.system === 'string' ? body.system.length : sum(body.system ?? [], (b) => b.text.length);
  for (const message of body.messages) chars += messageChars(message);
  return chars;
}

function messageChars(message: RequestMessage): number {
  return typeof message.content === 'string' ? message.content.length : sum(message.content, blockChars);
}

function blockChars(block: ContentBlock): number {
  switch (block.type) {
    case 'text':
      return block.text.length;
    case 'tool_use':
      return jsonChars(block.input);
    case 'tool_result':
      return toolResultText(block).length;
    default:
      return 0;
  }
}

export const jsonChars = (value: unknown): number => JSON.stringify(value ?? {}).length;

function sum<T>(items: readonly T[], f: (item: T) => number): number {
  return items.reduce((total, item) => total + f(item), 0);
}
