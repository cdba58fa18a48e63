import { newId, notFound } from '@warren/core';
import { tenantSchema, type TenantTx } from '@warren/db';
import { and, asc, eq, gt } from 'drizzle-orm';

const { messages } = tenantSchema;

export type Message = typeof messages.$inferSelect;

export interface NewUserMessage {
  content: string;
  sender?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/**
 * Appends a user message with the conversation's next seq. One statement: the UPDATE takes the
 * conversation's row lock, so concurrent appends to one conversation get consecutive seqs and
 * appends to different conversations do not wait for each other.
 */
export async function appendUserMessage(tx: TenantTx, conversationId: string, input: NewUserMessage): Promise<Message> {
  const { rows } = await tx.client.query<MessageRow>(
    `WITH conv AS (
       UPDATE conversations SET last_seq = last_seq + 1, updated_at = now()
        WHERE id = $1 RETURNING id, last_seq
     )
     INSERT INTO messages (id, conversation_id, seq, role, sender, content, metadata)
     SELECT $2, conv.id, conv.last_seq, 'user', $3, $4, $5 FROM conv
     RETURNING *`,
    [conversationId, newId('message'), input.sender ?? null, input.content, input.metadata ?? {}],
  );
  if (!rows[0]) throw notFound('conversation');
  return fromRow(rows[0]);
}

/** Messages with seq > `after`, oldest first. */
export function listMessages(
  tx: TenantTx,
  conversationId: string,
  page: { after: number; limit: number },
): Promise<Message[]> {
  return tx.db
    .select()
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), gt(messages.seq, page.after)))
    .orderBy(asc(messages.seq))
    .limit(page.limit);
}

interface MessageRow {
  id: string;
  conversation_id: string;
  seq: string;
  role: Message['role'];
  sender: string | null;
  content: string;
  raw_content: string | null;
  turn_id: string | null;
  out_seq: number | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

function fromRow(r: MessageRow): Message {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    seq: Number(r.seq),
    role: r.role,
    sender: r.sender,
    content: r.content,
    rawContent: r.raw_content,
    turnId: r.turn_id,
    outSeq: r.out_seq,
    metadata: r.metadata,
    createdAt: r.created_at,
  };
}
