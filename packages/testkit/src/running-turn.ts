import { randomUUID } from 'node:crypto';
import { appendUserMessage, createConversation } from '@warren/conversations';
import { type Pool, withTenant } from '@warren/db';
import { type ClaimedTurn, claimTurn } from '@warren/turns';

/** A turn running as a worker would leave it after its claim: a new conversation, one message, a live lease. */
export function openTurn(pool: Pool, tenantId: string, content = 'a message for a test turn'): Promise<ClaimedTurn> {
  return withTenant(pool, tenantId, async (tx) => {
    const conversation = await createConversation(tx, {});
    await appendUserMessage(tx, conversation.id, { content });
    const turn = await claimTurn(tx, { conversationId: conversation.id, jobId: randomUUID(), kind: 'message' });
    if (!turn) throw new Error('the new conversation had nothing to answer');
    return turn;
  });
}
