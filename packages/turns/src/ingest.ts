import { appendUserMessage, isTrigger, type Message, type NewUserMessage } from '@warren/conversations';
import { asAppRole, type TenantTx } from '@warren/db';
import type { TurnQueue } from '@warren/queue';

/**
 * A message arrives: it is stored with the conversation's next seq and, when it triggers the
 * assistant, a `turn` job is sent in the same transaction — a committed message that should
 * be answered always has its job, and a rolled-back one never does. Messages that do not
 * trigger wait as context for the next turn.
 */
export async function ingestMessage(
  tx: TenantTx,
  queue: TurnQueue,
  conversationId: string,
  input: NewUserMessage,
): Promise<{ message: Message; triggered: boolean }> {
  const { message, trigger } = await appendUserMessage(tx, conversationId, input);
  const triggered = isTrigger(trigger, message.content);
  if (triggered) {
    await asAppRole(tx, () => queue.enqueue(tx.client, { tenantId: tx.tenantId, conversationId, kind: 'message' }));
  }
  return { message, triggered };
}
