import { newId, notFound } from '@warren/core';
import { type TenantTx, tenantSchema } from '@warren/db';
import { recordEvent } from '@warren/events';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Conversation } from './conversations.ts';

const { messages } = tenantSchema;

export type Message = typeof messages.$inferSelect;

export interface NewUserMessage {
  content: string;
  sender?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export type TriggerSettings = Pick<Conversation, 'triggerMode' | 'triggerPattern' | 'assistantName'>;

/**
 * Appends a user message with the conversation's next seq and its `message.created` event, and
 * returns it with the conversation's trigger settings. One statement for the message: the UPDATE takes the conversation's row lock,
 * so concurrent appends to one conversation get consecutive seqs and appends to different
 * conversations do not wait for each other.
 */
export async function appendUserMessage(
  tx: TenantTx,
  conversationId: string,
  input: NewUserMessage,
): Promise<{ message: Message; trigger: TriggerSettings }> {
  const { rows } = await tx.client.query<
    MessageRow & { trigger_mode: Conversation['triggerMode']; trigger_pattern: string | null; assistant_name: string }
  >(
    `WITH conv AS (
       UPDATE conversations SET last_seq = last_seq + 1, updated_at = now()
        WHERE id = $1 RETURNING id, last_seq, trigger_mode, trigger_pattern, assistant_name
     ), inserted AS (
       INSERT INTO messages (id, conversation_id, seq, role, sender, content, metadata)
       SELECT $2, conv.id, conv.last_seq, 'user', $3, $4, $5 FROM conv
       RETURNING *
     )
     SELECT inserted.*, conv.trigger_mode, conv.trigger_pattern, conv.assistant_name FROM inserted, conv`,
    [conversationId, newId('message'), input.sender ?? null, input.content, input.metadata ?? {}],
  );
  const row = rows[0];
  if (!row) throw notFound('conversation');
  const message = fromRow(row);
  await recordEvent(tx, 'message.created', conversationId, {
    messageId: message.id,
    seq: message.seq,
    role: message.role,
    sender: message.sender,
    content: message.content,
    turnId: null,
    createdAt: message.createdAt.toISOString(),
  });
  return {
    message,
    trigger: { triggerMode: row.trigger_mode, triggerPattern: row.trigger_pattern, assistantName: row.assistant_name },
  };
}

/** Messages with seq > `after`, oldest first. */
export function listMessages(tx: TenantTx, conversationId: string, page: { after: number; limit: number }): Promise<Message[]> {
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
