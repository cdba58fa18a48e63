import type { TurnInput } from '@warren/ipc';
import type { ModelStack } from '@warren/testkit';

/** A turn input for a sandbox, carrying the token of a turn running in the stack's database (the proxy serves nothing else). */
export async function turnInput(
  stack: ModelStack,
  tenantId: string,
  conversationId: string,
  content: string,
  history: TurnInput['history'] = [],
): Promise<TurnInput> {
  const { turn, token } = await stack.startTurn(tenantId);
  return inputFor({ turnId: turn.turnId, token }, tenantId, conversationId, content, history);
}

export function inputFor(
  turn: { turnId: string; token: string },
  tenantId: string,
  conversationId: string,
  content: string,
  history: TurnInput['history'] = [],
): TurnInput {
  return {
    type: 'turn',
    turnId: turn.turnId,
    tenantId,
    conversationId,
    model: 'claude-test',
    systemPrompt: 'You are a test assistant.',
    history,
    newMessages: [{ seq: 1, sender: null, content }],
    limits: { maxIterations: 5, maxTokens: 4000, bashTimeoutMs: 10_000, toolOutputBytes: 16_384 },
    proxyToken: turn.token,
  };
}
