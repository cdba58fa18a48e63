import type Anthropic from '@anthropic-ai/sdk';
import type { TurnInput } from '@warren/ipc';
import { answerText } from './history.ts';
import type { Model, ModelRequest } from './model.ts';

// Compaction is the runner's own summary call, not the Messages API's server-side compaction
// beta: it works with every model and with the fake, and the host archives exactly what was
// summarised away. A history is cut only before a user turn of the conversation (never between
// a tool_use and its tool_result), and the recent turns are kept as they were.

export type CompactionSettings = NonNullable<TurnInput['compaction']>;

const SUMMARISER =
  'You summarise a conversation between people and an AI assistant so that the assistant can go on with it. ' +
  'Keep what the assistant needs: facts, decisions, open questions, promises made, names, files and commands that matter.';

export const SUMMARY_REQUEST =
  'Summarise the conversation so far for your own later use: it will replace the messages above. Answer with the summary only.';

/** A user message that is one of the conversation's turns, not a tool_result reply: a safe place to cut. */
export function isTurnStart(message: Anthropic.MessageParam): boolean {
  return message.role === 'user' && (typeof message.content === 'string' || !message.content.some((b) => b.type === 'tool_result'));
}

/** Where the kept recent part begins: at the `keepTurns`-th turn start from the end; 0 when nothing older is left to summarise. */
export function recentStart(messages: readonly Anthropic.MessageParam[], keepTurns: number): number {
  let seen = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (!isTurnStart(messages[i]!)) continue;
    seen += 1;
    if (seen === keepTurns) return i;
  }
  return 0;
}

export interface Compacted {
  history: Anthropic.MessageParam[];
  summary: string;
  usage: Anthropic.Usage;
}

/**
 * Summarises all but the recent turns with one model call and returns the new history: the
 * summary, as a first text block of the oldest kept turn (so user and assistant still take
 * turns), then the kept turns unchanged. Null when there is nothing older than the kept turns.
 * A failed call throws: the caller fails the turn and the stored history stays as it was.
 */
export async function compact(
  messages: readonly Anthropic.MessageParam[],
  settings: CompactionSettings,
  request: Pick<ModelRequest, 'model' | 'tools'>,
  model: Model,
  token: string,
): Promise<Compacted | null> {
  const start = recentStart(messages, settings.keepTurns);
  if (start === 0) return null;
  const answer = await model.answer(
    {
      model: request.model,
      max_tokens: settings.summaryMaxTokens,
      system: SUMMARISER,
      // the API refuses tool blocks without tool definitions; the summary itself must not call any
      messages: [...messages.slice(0, start), { role: 'user', content: SUMMARY_REQUEST }],
      ...(request.tools && request.tools.length > 0 && { tools: request.tools, tool_choice: { type: 'none' } }),
    },
    token,
  );
  const summary = answerText(answer.content).trim();
  if (summary === '') throw new Error(`the summary call answered no text (${answer.stop_reason})`);
  const first = messages[start]!;
  const firstBlocks = typeof first.content === 'string' ? [{ type: 'text' as const, text: first.content }] : first.content;
  const summaryBlock = {
    type: 'text' as const,
    text: `<conversation-summary>\nEarlier turns of this conversation, summarised (the full transcript is archived):\n${summary}\n</conversation-summary>`,
  };
  return {
    history: [{ role: 'user', content: [summaryBlock, ...firstBlocks] }, ...messages.slice(start + 1)],
    summary,
    usage: answer.usage,
  };
}
