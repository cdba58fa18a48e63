import type Anthropic from '@anthropic-ai/sdk';
import type { TurnInput } from '@warren/ipc';
import { compact } from './compaction.ts';
import { answerText, assistantTurn, toolCalls } from './history.ts';
import type { Model } from './model.ts';
import { newMessagesText } from './prompt.ts';
import { errorText, runToolCalls, unrunToolCalls } from './tool-calls.ts';
import type { Tool, ToolContext } from './tools/index.ts';
import { failedTurn, type TurnResult, type Usage } from './turn-result.ts';

export interface TurnDeps {
  model: Model;
  tools: ReadonlyMap<string, Tool>;
  /** Everything tools need but the turn itself. */
  toolContext: Omit<ToolContext, 'turn' | 'outputs'>;
  /** Hears the text of the turn's model answers as it streams in (not the compaction summary's). */
  onText?: (text: string) => void;
}

/**
 * One turn: the new messages as a user turn, then model calls while the model asks for tools,
 * at most `limits.maxIterations` of them. Reaching the limit still ends the turn `ok`, with a
 * note in the final text: the work done so far is kept and the user learns why it stopped. A
 * model error fails the turn and leaves the history as it was.
 *
 * Before a model call, when the context (the last call's tokens; at the start, the previous
 * turn's) has reached the compaction budget, the history is compacted once (see compaction.ts)
 * and the result carries the full history from before, for the host to archive.
 */
export async function runTurn(input: TurnInput, deps: TurnDeps): Promise<TurnResult> {
  const context: ToolContext = { ...deps.toolContext, turn: input, outputs: { sent: 0 } };
  const tools = enabledTools(deps.tools, input.tools);
  const definitions = [...tools.values()].map((tool) => tool.definition);
  // the history is the model's own message list, kept opaque by the IPC contract
  const messages: Anthropic.MessageParam[] = [
    ...(input.history as Anthropic.MessageParam[]),
    { role: 'user', content: newMessagesText(input.newMessages) },
  ];
  const usage: Usage = { inputTokens: 0, outputTokens: 0 };
  let iterations = 0;
  let contextTokens = input.contextTokens ?? 0;
  let compaction: TurnResult['compaction'];
  let compactionTried = false;
  const finish = (finalText: string): TurnResult => ({
    type: 'turn_result',
    turnId: input.turnId,
    status: 'ok',
    finalText,
    history: messages as TurnResult['history'], // checked against the contract before it is written
    usage,
    iterations,
    outputs: context.outputs.sent,
    contextTokens,
    ...(compaction && { compaction }),
  });

  try {
    for (;;) {
      if (input.compaction && !compactionTried && contextTokens >= input.compaction.budgetTokens) {
        compactionTried = true;
        const compacted = await compact(
          messages,
          input.compaction,
          { model: input.model, tools: definitions },
          deps.model,
          input.proxyToken,
        );
        if (compacted) {
          addUsage(usage, compacted.usage);
          compaction = { transcript: [...messages] as TurnResult['history'], summary: compacted.summary, contextTokens };
          messages.splice(0, messages.length, ...compacted.history);
        }
      }
      const answer = await deps.model.answer(
        {
          model: input.model,
          max_tokens: input.limits.maxTokens,
          ...(input.systemPrompt !== '' && { system: input.systemPrompt }),
          messages,
          tools: definitions,
        },
        input.proxyToken,
        deps.onText,
      );
      iterations += 1;
      addUsage(usage, answer.usage);
      contextTokens = contextOf(answer.usage);
      messages.push(assistantTurn(answer.content));
      const text = answerText(answer.content);
      const calls = toolCalls(answer.content);
      if (calls.length === 0) return finish(text);
      // every tool_use needs its tool_result, or the next call with this history is refused
      if (answer.stop_reason !== 'tool_use') {
        messages.push({ role: 'user', content: unrunToolCalls(calls, `the answer ended early (${answer.stop_reason})`) });
        return finish(text);
      }
      if (iterations >= input.limits.maxIterations) {
        const note = `[stopped: this turn reached its limit of ${input.limits.maxIterations} model calls]`;
        messages.push({ role: 'user', content: unrunToolCalls(calls, 'the turn reached its limit of model calls') });
        return finish(text === '' ? note : `${text}\n\n${note}`);
      }
      messages.push({ role: 'user', content: await runToolCalls(calls, tools, context) });
    }
  } catch (err) {
    return failedTurn(input.turnId, input.history, `model call failed: ${errorText(err)}`, usage, iterations, context.outputs.sent);
  }
}

/** Everything the model read counts as input, cached or not. */
function addUsage(total: Usage, usage: Anthropic.Usage): void {
  total.inputTokens += usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  total.outputTokens += usage.output_tokens;
}

/** What the next call will read at least: this call's input and its answer. */
function contextOf(usage: Anthropic.Usage): number {
  return usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0) + usage.output_tokens;
}

/** The tools the turn's assistant enabled (all without a list); a call to another one gets an error result. */
function enabledTools(all: ReadonlyMap<string, Tool>, names: string[] | undefined): ReadonlyMap<string, Tool> {
  if (!names) return all;
  return new Map([...all].filter(([name]) => names.includes(name)));
}
