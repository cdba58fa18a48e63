import { createHmac } from 'node:crypto';
import { findOrCreateConversationByExternalId } from '@warren/conversations';
import { AppError, notFound, parseClientJson } from '@warren/core';
import { openSecret } from '@warren/credentials';
import { type Pool, withTenant } from '@warren/db';
import type { TurnQueue } from '@warren/queue';
import { ingestMessage } from '@warren/turns';
import { getHookWithSecret } from './hooks.ts';
import { mapDelivery } from './mapping.ts';
import { verifyDelivery } from './signature.ts';

export interface ReceiverDeps {
  pool: Pool;
  turnQueue: TurnQueue;
  /** HOOK_SECRET_KEY: opens the hooks' sealed secrets. */
  sealingKey: string;
  /** For tenants without their own maxConversations (conversations created on first sight). */
  defaultMaxConversations: number;
}

export interface Delivery {
  hookId: string;
  /** The body's bytes exactly as they arrived: what the sender signed. */
  raw: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export interface DeliveryReceipt {
  deliveryId: string;
  conversationId: string;
  messageId: string;
  /** True when this delivery id was accepted before: nothing new was stored. */
  replayed: boolean;
}

interface HookOwner {
  tenant_id: string;
  status: string;
  max_conversations: number | null;
}

/** Same work as checking a real signature, for a hook id that names nothing (see receiveDelivery). */
const UNKNOWN_HOOK_KEY = 'whsec_unknown-hook';

/**
 * One signed delivery to `POST /hooks/:id`, in one tenant transaction: verify the signature
 * over the raw bytes, claim the receipt (hook, delivery id) — a replay finds it taken and gets
 * the first delivery's answer — parse and map the payload, and post the message through the
 * same ingest as the API (its turn job in the same transaction). Any refusal rolls everything
 * back, receipt included; a returned receipt is committed.
 */
export async function receiveDelivery(deps: ReceiverDeps, delivery: Delivery): Promise<DeliveryReceipt> {
  const { rows } = await deps.pool.query<HookOwner>(
    `SELECT h.tenant_id, t.status, t.max_conversations
       FROM control.inbound_hooks h JOIN control.tenants t ON t.id = h.tenant_id WHERE h.id = $1`,
    [delivery.hookId],
  );
  const owner = rows[0];
  if (!owner) {
    // The HMAC the answer would otherwise have waited for, so timing does not tell unknown ids from known ones.
    createHmac('sha256', UNKNOWN_HOOK_KEY).update(delivery.raw).digest();
    throw notFound('inbound hook');
  }
  return withTenant(deps.pool, owner.tenant_id, async (tx) => {
    const hook = await getHookWithSecret(tx, delivery.hookId);
    const secret = await openSecret(deps.sealingKey, hook.sealedSecret);
    const deliveryId = verifyDelivery(hook.scheme, secret, delivery.raw, delivery.headers);
    if (owner.status !== 'active') throw new AppError('tenant_suspended', 'this tenant is suspended');

    const claimed = await tx.client.query(
      `INSERT INTO webhook_receipts (hook_id, delivery_id, source, payload) VALUES ($1, $2, $3, $4)
       ON CONFLICT (hook_id, delivery_id) DO NOTHING`,
      [hook.id, deliveryId, hook.scheme, delivery.raw],
    );
    if (claimed.rowCount === 0) {
      // Taken by a committed delivery (a concurrent one holding it made this insert wait for its outcome).
      const { rows: first } = await tx.client.query<{ conversation_id: string; message_id: string }>(
        'SELECT conversation_id, message_id FROM webhook_receipts WHERE hook_id = $1 AND delivery_id = $2',
        [hook.id, deliveryId],
      );
      const { conversation_id, message_id } = first[0]!;
      return { deliveryId, conversationId: conversation_id, messageId: message_id, replayed: true };
    }

    const mapped = mapDelivery(hook.mapping, parseClientJson(delivery.raw.toString('utf8'), 'the payload'));
    const conversationId =
      'id' in mapped.conversation
        ? mapped.conversation.id
        : (
            await findOrCreateConversationByExternalId(
              tx,
              mapped.conversation.externalId,
              owner.max_conversations ?? deps.defaultMaxConversations,
            )
          ).id;
    const { message } = await ingestMessage(tx, deps.turnQueue, conversationId, {
      content: mapped.content,
      sender: mapped.sender,
      metadata: { inboundHook: hook.id, deliveryId },
    });
    await tx.client.query('UPDATE webhook_receipts SET conversation_id = $3, message_id = $4 WHERE hook_id = $1 AND delivery_id = $2', [
      hook.id,
      deliveryId,
      conversationId,
      message.id,
    ]);
    return { deliveryId, conversationId, messageId: message.id, replayed: false };
  });
}
