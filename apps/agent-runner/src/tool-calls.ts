import type Anthropic from '@anthropic-ai/sdk';
import type { Tool, ToolContext } from './tools/index.ts';

/**
 * Runs the model's tool calls one after another, in the order it made them (they may depend on
 * each other's side effects). A tool that fails, or one that does not exist, gives an `is_error`
 * result the model can react to; the turn itself never fails because of a tool.
 */
export async function runToolCalls(
  calls: Anthropic.ToolUseBlock[],
  tools: ReadonlyMap<string, Tool>,
  context: ToolContext,
): Promise<Anthropic.ToolResultBlockParam[]> {
  const results: Anthropic.ToolResultBlockParam[] = [];
  for (const call of calls) {
    const tool = tools.get(call.name);
    try {
      if (!tool) throw new Error(`no tool named ${call.name}`);
      results.push({ type: 'tool_result', tool_use_id: call.id, content: await tool.run(call.input, context) });
    } catch (err) {
      results.push({ type: 'tool_result', tool_use_id: call.id, content: errorText(err), is_error: true });
    }
  }
  return results;
}

/** Results for calls the turn will not run, so the history stays valid: every tool_use answered. */
export function unrunToolCalls(calls: Anthropic.ToolUseBlock[], reason: string): Anthropic.ToolResultBlockParam[] {
  return calls.map((call) => ({ type: 'tool_result', tool_use_id: call.id, content: `not run: ${reason}`, is_error: true }));
}

export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 0 ? text : 'failed';
}
