import { z } from 'zod';

// The contract between the host (worker) and the agent runner inside a sandbox. One zod schema
// per file kind; both sides parse with them. Anything the runner writes is untrusted: the host
// parses it with these schemas and then checks it against what it knows about the sandbox.

const id = z.string().min(1).max(100);
const text = (max: number) => z.string().max(max);

/** A model-history entry: the Messages API's MessageParam, kept opaque here. */
export const historyEntry = z.looseObject({ role: z.enum(['user', 'assistant']), content: z.unknown() });

export const turnInputSchema = z.strictObject({
  type: z.literal('turn'),
  turnId: id,
  tenantId: id,
  conversationId: id,
  model: id,
  systemPrompt: text(100_000),
  /** The conversation so far as the model saw it (user/assistant messages incl. tool blocks). */
  history: z.array(historyEntry).max(10_000),
  /** Messages since the last answered one, oldest first; they become one user turn. */
  newMessages: z
    .array(z.strictObject({ seq: z.number().int().nonnegative(), sender: z.string().max(200).nullable(), content: text(200_000) }))
    .min(1)
    .max(1000),
  limits: z.strictObject({
    maxIterations: z.number().int().min(1).max(100),
    maxTokens: z.number().int().min(1).max(200_000),
    bashTimeoutMs: z.number().int().min(100).max(600_000),
    /** Bytes of bash output (stdout and stderr together) returned to the model. */
    toolOutputBytes: z.number().int().min(1024).max(1_048_576),
  }),
  /** Tool names the model is offered (the assistant's choice); absent: every tool. */
  tools: z.array(id).max(100).optional(),
  /**
   * When the context (tokens of the last model call: input + output) reaches `budgetTokens`, the
   * runner summarises all but the last `keepTurns` user turns before its next model call.
   */
  compaction: z
    .strictObject({
      budgetTokens: z.number().int().min(1).max(10_000_000),
      keepTurns: z.number().int().min(1).max(100),
      summaryMaxTokens: z.number().int().min(1).max(200_000),
    })
    .optional(),
  /** Tokens of the previous turn's last model call (input + output), as the runner reported them. */
  contextTokens: z.number().int().nonnegative().max(100_000_000).optional(),
  /** This turn attempt's credential for the credential proxy: the runner's API key for the turn's model calls only. */
  proxyToken: z.string().min(1).max(1024),
  /**
   * A scheduled task's pre-check: a bash script run first, with the bash tool's isolation and
   * output cap; only a last stdout line `{"wakeAgent": true, …}` lets the turn call the model.
   */
  precheck: z.strictObject({ script: text(20_000).min(1), timeoutMs: z.number().int().min(100).max(600_000) }).optional(),
});
export type TurnInput = z.infer<typeof turnInputSchema>;

export const usageSchema = z.strictObject({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
});

/** What a pre-check script prints as its last line of stdout. */
export const precheckOutputSchema = z.strictObject({ wakeAgent: z.boolean(), data: z.unknown().optional() });

/** How a turn's pre-check went: `woke` ran the turn; the others made no model call. */
export const precheckResultSchema = z.strictObject({
  outcome: z.enum(['woke', 'skipped', 'precheck_failed']),
  reason: text(2_000).optional(),
});
export type PrecheckResult = z.infer<typeof precheckResultSchema>;

/**
 * A text delta carries at most this many UTF-16 code units: JSON-escaped (6 bytes each at worst)
 * with its ids it stays under Postgres's 8000-byte NOTIFY payload, which the host publishes it in.
 */
export const TEXT_DELTA_MAX_CHARS = 1024;
/** The runner reports text at most this often per turn; the host drops reports well beyond that rate. */
export const TEXT_DELTA_INTERVAL_MS = 100;

/** runner → host, in `events/`. */
export const runnerEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), at: z.number() }),
  z.strictObject({ type: z.literal('turn_started'), turnId: id, at: z.number() }),
  /**
   * Model text as it streams in, raw (`<internal>` not stripped), numbered from 0 per turn:
   * a preview for live streams, never stored. The turn's result and outputs are the truth.
   */
  z.strictObject({
    type: z.literal('text_delta'),
    turnId: id,
    index: z.number().int().nonnegative().max(10_000_000),
    text: text(TEXT_DELTA_MAX_CHARS).min(1),
  }),
  z.strictObject({
    type: z.literal('turn_result'),
    turnId: id,
    status: z.enum(['ok', 'error']),
    /** The model's final text, raw (`<internal>` not yet stripped). */
    finalText: text(1_000_000),
    history: z.array(historyEntry).max(10_000),
    usage: usageSchema,
    iterations: z.number().int().nonnegative(),
    /** How many `send_message` outputs the turn wrote: the host stores them all before it commits. */
    outputs: z.number().int().nonnegative(),
    error: text(10_000).optional(),
    /** Tokens of the last model call (input + output): how big the history now is. */
    contextTokens: z.number().int().nonnegative().max(100_000_000).optional(),
    /**
     * Set when the turn compacted its history: the whole model history just before (what the host
     * archives), and the summary that replaced all but its recent turns in `history`.
     */
    compaction: z
      .strictObject({
        transcript: z.array(historyEntry).max(20_000),
        summary: text(1_000_000),
        contextTokens: z.number().int().nonnegative().max(100_000_000),
      })
      .optional(),
    precheck: precheckResultSchema.optional(),
  }),
]);
export type RunnerEvent = z.infer<typeof runnerEventSchema>;

/** runner → host, in `messages/`: a message to the conversation now, mid-turn. */
export const outboundMessageSchema = z.strictObject({
  type: z.literal('send_message'),
  requestId: id,
  turnId: id,
  tenantId: id,
  conversationId: id,
  /** The message's place among the turn's outputs, from 0: the order the agent sent them in. */
  seq: z.number().int().nonnegative(),
  text: text(100_000).min(1),
});
export type OutboundMessage = z.infer<typeof outboundMessageSchema>;

const scope = { requestId: id, turnId: id, tenantId: id, conversationId: id };

/** A task's schedule: its value's format per kind; cron is read in `timezone` (IANA). */
export const taskScheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('cron'), value: z.string().min(1).max(100), timezone: z.string().min(1).max(64).optional() }),
  z.strictObject({ kind: z.literal('interval'), value: z.string().regex(/^\d{1,9}(s|m|h|d)$/) }),
  z.strictObject({ kind: z.literal('once'), value: z.iso.datetime({ offset: true }) }),
]);
export type TaskSchedule = z.infer<typeof taskScheduleSchema>;

/** What a task is made of, as the agent's tools and the API set it. */
export const taskFieldsSchema = z.strictObject({
  prompt: text(20_000).min(1),
  schedule: taskScheduleSchema,
  precheckScript: text(20_000).min(1).nullable().optional(),
  context: z.enum(['conversation', 'isolated']).optional(),
  missedPolicy: z.enum(['skip', 'run-once']).optional(),
});
export type TaskFields = z.infer<typeof taskFieldsSchema>;

/** runner → host, in `tasks/`. The host decides and answers in `responses/<requestId>.json`. */
export const taskRequestSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('schedule_task'), ...scope, ...taskFieldsSchema.shape }),
  z.strictObject({ type: z.literal('list_tasks'), ...scope }),
  z.strictObject({ type: z.literal('update_task'), ...scope, taskId: id, ...taskFieldsSchema.partial().shape }),
  z.strictObject({ type: z.literal('pause_task'), ...scope, taskId: id }),
  z.strictObject({ type: z.literal('resume_task'), ...scope, taskId: id }),
  z.strictObject({ type: z.literal('cancel_task'), ...scope, taskId: id }),
]);
export type TaskRequest = z.infer<typeof taskRequestSchema>;

/** host → runner, in `responses/`. */
export const ipcResponseSchema = z.strictObject({
  requestId: id,
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: text(10_000).optional(),
});
export type IpcResponse = z.infer<typeof ipcResponseSchema>;
