import type { TurnInput } from '@warren/ipc';

let turnCounter = 0;

export function turnInput(tenantId: string, conversationId: string, content: string, history: TurnInput['history'] = []): TurnInput {
  return {
    type: 'turn',
    turnId: `turn_test_${++turnCounter}`,
    tenantId,
    conversationId,
    model: 'claude-test',
    systemPrompt: 'You are a test assistant.',
    history,
    newMessages: [{ seq: 1, sender: null, content }],
    limits: { maxIterations: 5, maxTokens: 4000, bashTimeoutMs: 10_000, toolOutputBytes: 16_384 },
  };
}
