import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

// Tenant tables are declared WITHOUT a schema: the same definitions serve every tenant,
// and `withTenant` points search_path at the tenant's own schema.

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const seq = (name: string) => bigint(name, { mode: 'number' });

export const triggerModes = ['always', 'mention', 'never'] as const;

export const conversations = pgTable(
  'conversations',
  {
    id: text().primaryKey(),
    /** The customer's own id for this conversation; unique within the tenant. */
    externalId: text('external_id'),
    title: text(),
    assistantName: text('assistant_name').notNull().default('Assistant'),
    triggerMode: text('trigger_mode', { enum: triggerModes }).notNull().default('always'),
    /** Regex source overriding the whole-word mention of `assistant_name`. */
    triggerPattern: text('trigger_pattern'),
    metadata: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** Highest message seq handed out; the next message takes last_seq + 1. */
    lastSeq: seq('last_seq').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('conversations_external_id_key').on(t.externalId), index('conversations_created_idx').on(t.createdAt)],
);

/** The two cursors of a conversation (see DESIGN §3). */
export const cursors = pgTable('cursors', {
  conversationId: text('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  /** Messages up to here belong to a turn that was claimed. */
  seenSeq: seq('seen_seq').notNull().default(0),
  /** Messages up to here are answered and committed. */
  processedSeq: seq('processed_seq').notNull().default(0),
  updatedAt: updatedAt(),
});

export const messageRoles = ['user', 'assistant'] as const;

export const messages = pgTable(
  'messages',
  {
    id: text().primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: seq('seq').notNull(),
    role: text({ enum: messageRoles }).notNull(),
    /** Who wrote it, as the customer app names them (a user name, a bot, …). */
    sender: text(),
    content: text().notNull(),
    /** Assistant output before `<internal>` stripping, kept for debugging. */
    rawContent: text('raw_content'),
    turnId: text('turn_id'),
    /** Position of this output within its turn; with turn_id, the duplicate fence. */
    outSeq: integer('out_seq'),
    metadata: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('messages_conversation_seq_key').on(t.conversationId, t.seq),
    uniqueIndex('messages_turn_out_seq_key').on(t.turnId, t.outSeq).where(sql`turn_id IS NOT NULL`),
  ],
);

export const turnStatuses = ['queued', 'running', 'succeeded', 'failed'] as const;

export const turns = pgTable(
  'turns',
  {
    id: text().primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    kind: text({ enum: ['message', 'task'] })
      .notNull()
      .default('message'),
    taskId: text('task_id'),
    status: text({ enum: turnStatuses }).notNull().default('queued'),
    /** The covered range (from_seq, to_seq]. */
    fromSeq: seq('from_seq').notNull(),
    toSeq: seq('to_seq').notNull(),
    jobId: text('job_id'),
    attempt: integer().notNull().default(0),
    outputSent: boolean('output_sent').notNull().default(false),
    /** Why the turn failed: a stable kind (see TurnErrorKind in packages/turns) and a message. */
    error: jsonb().$type<{ kind: string; message: string }>(),
    usage: jsonb().$type<{ inputTokens: number; outputTokens: number }>(),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** A running turn's worker renews this while it works; a lapsed lease frees the tenant slot. */
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    /** The worker running the turn: a slot of a worker whose liveness lock is gone is free at once (see WorkerLiveness). */
    workerId: text('worker_id'),
  },
  (t) => [
    index('turns_conversation_idx').on(t.conversationId, t.createdAt),
    index('turns_running_idx').on(t.leaseExpiresAt).where(sql`status = 'running'`),
  ],
);

/** The model history carried from turn to turn. */
export const sessions = pgTable('sessions', {
  conversationId: text('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  history: jsonb().$type<unknown[]>().notNull().default([]),
  version: integer().notNull().default(0),
  updatedAt: updatedAt(),
});

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/**
 * Which worker may run a sandbox for a conversation: at most one at a time, anywhere. Taken
 * before a turn is claimed, renewed while the worker has a turn or a warm sandbox of the
 * conversation, deleted when both are gone; a lapsed lease (a dead worker) may be taken over.
 * `release_requested_at`: another worker wants the conversation; the owner closes its idle
 * sandbox after a grace period and lets go.
 */
export const sandboxOwners = pgTable('sandbox_owners', {
  conversationId: text('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  workerId: text('worker_id').notNull(),
  leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }).notNull(),
  releaseRequestedAt: timestamp('release_requested_at', { withTimezone: true }),
  updatedAt: updatedAt(),
});

/**
 * The durable copy of a conversation's workspace image (a sparse tar, zstd-compressed), written
 * with the commit of a turn that changed it; `version` goes up by one each time, so a host
 * whose local image is older restores this one before the sandbox starts.
 */
export const workspaceSnapshots = pgTable('workspace_snapshots', {
  conversationId: text('conversation_id')
    .primaryKey()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  version: bigint({ mode: 'number' }).notNull(),
  /** Size of `data`, kept so the version check need not read it. */
  bytes: integer().notNull(),
  data: bytea().notNull(),
  updatedAt: updatedAt(),
});

/** Full transcripts saved before a history is compacted. */
export const archives = pgTable('archives', {
  id: text().primaryKey(),
  conversationId: text('conversation_id')
    .notNull()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  reason: text().notNull(),
  transcript: jsonb().$type<unknown[]>().notNull(),
  createdAt: createdAt(),
});

export const tasks = pgTable(
  'tasks',
  {
    id: text().primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    prompt: text().notNull(),
    scheduleKind: text('schedule_kind', { enum: ['cron', 'interval', 'once'] }).notNull(),
    scheduleValue: text('schedule_value').notNull(),
    /** Runs in the sandbox first; only `{"wakeAgent": true}` costs a model call. */
    precheckScript: text('precheck_script'),
    status: text({ enum: ['active', 'paused', 'cancelled', 'completed'] })
      .notNull()
      .default('active'),
    nextRunAt: timestamp('next_run_at', { withTimezone: true }),
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('tasks_conversation_idx').on(t.conversationId)],
);

export const taskRuns = pgTable(
  'task_runs',
  {
    id: text().primaryKey(),
    taskId: text('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    turnId: text('turn_id'),
    status: text({ enum: ['skipped', 'running', 'succeeded', 'failed'] }).notNull(),
    result: jsonb(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('task_runs_task_idx').on(t.taskId, t.startedAt)],
);

const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });

/**
 * What happened in the tenant, written in the transaction that did it (see packages/events).
 * `id` is the event's durable id (the SSE id); streams read in `(xid, id)` order below the
 * oldest running transaction, so an event that commits late is never skipped.
 */
export const events = pgTable(
  'events',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** The writing transaction's id. */
    xid: xid8().notNull().default(sql`pg_current_xact_id()`),
    type: text().notNull(),
    conversationId: text('conversation_id'),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('events_position_idx').on(t.xid, t.id), index('events_conversation_idx').on(t.conversationId, t.xid, t.id)],
);

/** Inbound webhook deliveries already accepted, so a redelivery is not stored twice. */
export const webhookReceipts = pgTable('webhook_receipts', {
  deliveryId: text('delivery_id').primaryKey(),
  source: text().notNull(),
  messageId: text('message_id'),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Responses remembered per Idempotency-Key, so a retried request gets the same answer. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text().notNull(),
    key: text().notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);
