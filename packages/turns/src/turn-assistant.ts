import { type AssistantVersion, conversationAssistant } from '@warren/conversations';
import type { TenantTx } from '@warren/db';
import type { TurnLease } from './turn-state.ts';

/**
 * The assistant version a claimed turn runs with (the conversation's pin, else the assistant's
 * current version), recorded on the turn in the claim's transaction; null: the worker's defaults.
 */
export async function assistantForTurn(tx: TenantTx, turn: TurnLease & { conversationId: string }): Promise<AssistantVersion | null> {
  const version = await conversationAssistant(tx, turn.conversationId);
  await tx.client.query('UPDATE turns SET assistant_version_id = $2 WHERE id = $1', [turn.turnId, version?.id ?? null]);
  return version;
}
