import { lastUserMessage, messageText, toolResults, toolResultText } from './content.ts';
import { type Directive, parseDirectives } from './directives.ts';
import { FakeApiError } from './errors.ts';
import { fillerText } from './filler.ts';
import { newToolUseId } from './ids.ts';
import type { CreateMessageBody } from './request-schema.ts';
import { inputChars, jsonChars, tokensFor } from './usage.ts';

export type ReplyBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens';

/** What the fake will answer to one request, decided before the first byte is sent. */
export interface Reply {
  /** Wait this long before answering. */
  delayMs: number;
  /** Wait this long between stream events. */
  paceMs: number;
  /** Fail instead of answering; `midStream` failures of a streaming request start the stream first. */
  failure: { error: FakeApiError; midStream: boolean } | undefined;
  content: ReplyBlock[];
  stopReason: StopReason;
  usage: { inputTokens: number; outputTokens: number };
}

/** Decides the answer from the `#fake` directives of the last user message (see the README). */
export function planReply(body: CreateMessageBody): Reply {
  const lastUser = lastUserMessage(body.messages);
  const { directives, rest } = parseDirectives(lastUser ? messageText(lastUser) : '');

  const texts: string[] = [];
  const tools: ReplyBlock[] = [];
  let delayMs = 0;
  let paceMs = 0;
  let failure: Reply['failure'];
  for (const d of directives) {
    if (d.kind === 'text') texts.push(d.text);
    else if (d.kind === 'long') texts.push(fillerText(d.chars));
    else if (d.kind === 'tool') tools.push({ type: 'tool_use', id: newToolUseId(), name: d.name, input: d.input });
    else if (d.kind === 'sleep') delayMs += d.ms;
    else if (d.kind === 'pace') paceMs = d.ms;
    else failure ??= toFailure(d);
  }

  const unscripted = texts.length === 0 && tools.length === 0;
  const text = unscripted ? defaultAnswer(lastUser, rest) : texts.join('\n');
  const wanted: ReplyBlock[] = [...(text ? [{ type: 'text' as const, text }] : []), ...tools];
  const { content, truncated } = fitToBudget(wanted, body.max_tokens * 4);

  return {
    delayMs,
    paceMs,
    failure,
    content,
    stopReason: truncated ? 'max_tokens' : content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
    usage: { inputTokens: tokensFor(inputChars(body)), outputTokens: tokensFor(outputChars(content)) },
  };
}

function toFailure(d: Extract<Directive, { kind: 'error' }>): Reply['failure'] {
  return { error: new FakeApiError(d.status, d.message), midStream: d.midStream };
}

/**
 * Without a script the fake shows what reached it: the tool results of a tool round trip, or
 * else the user's text.
 */
function defaultAnswer(lastUser: CreateMessageBody['messages'][number] | undefined, userText: string): string {
  const results = lastUser ? toolResults(lastUser) : [];
  if (results.length > 0) {
    return results.map((r) => `${r.is_error ? 'tool error' : 'tool result'}: ${toolResultText(r)}`).join('\n');
  }
  return `echo: ${userText.trim()}`;
}

const blockChars = (block: ReplyBlock) => (block.type === 'text' ? block.text.length : jsonChars(block.input));

const outputChars = (content: readonly ReplyBlock[]) => content.reduce((n, b) => n + blockChars(b), 0);

/**
 * Like the real model, stops at `max_tokens`: text is cut to the budget, a tool call that
 * does not fit is left out, and the stop reason says so.
 */
function fitToBudget(blocks: readonly ReplyBlock[], budgetChars: number): { content: ReplyBlock[]; truncated: boolean } {
  const content: ReplyBlock[] = [];
  let left = budgetChars;
  for (const block of blocks) {
    const chars = blockChars(block);
    if (chars <= left) {
      content.push(block);
      left -= chars;
      continue;
    }
    if (block.type === 'text' && left > 0) content.push({ ...block, text: cutText(block.text, left) });
    return { content, truncated: true };
  }
  return { content, truncated: false };
}

/** The first `chars` UTF-16 units of `text`, without splitting a surrogate pair. */
function cutText(text: string, chars: number): string {
  const cut = text.slice(0, chars);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
