import { type Conversation, type Message, TRIGGER_PATTERN_MAX_LENGTH, triggerPatternProblem } from '@warren/conversations';
import { idSchema, jsonTextProblem, problemCheck, text } from '@warren/core';
import { type ApiKeyInfo, type Tenant, type TenantLimits, tenantLimitBounds, tenantLimitKeys } from '@warren/tenancy';
import type { Turn } from '@warren/turns';
import { z } from 'zod';

// The API's resource shapes: one zod schema each, used for validation, serialization and OpenAPI.
// Every string a client sends is a `text()`: Postgres can store it (no NUL, no lone surrogate).

const timestamp = z.iso.datetime();
const iso = (d: Date | null) => (d ? d.toISOString() : null);

// Nesting is bounded by the body parser (MAX_JSON_DEPTH) before this runs.
const metadata = z
  .record(text().max(100), z.unknown())
  .check(
    problemCheck((m) => jsonTextProblem(m) ?? (JSON.stringify(m).length > 16_384 ? 'metadata must serialise to at most 16 KiB' : null)),
  )
  .describe('Free-form JSON kept with the resource (at most 16 KiB).');

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const idempotencyHeaders = z.looseObject({
  'idempotency-key': text()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe('Retries with the same key and body get the first response; another body gets 409.'),
});

// ---- tenants (admin plane)

/** One schema per per-tenant limit, made from its bounds. */
const limitShape = <T extends z.ZodType>(each: (bounds: (typeof tenantLimitBounds)[keyof TenantLimits]) => T) =>
  Object.fromEntries(tenantLimitKeys.map((key) => [key, each(tenantLimitBounds[key])])) as Record<keyof TenantLimits, T>;

export const tenantSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['provisioning', 'active', 'suspended']),
  ...limitShape((b) => z.number().nullable().describe(`${b.about}; null: the platform default`)),
  createdAt: timestamp,
  suspendedAt: timestamp.nullable(),
});

export const toTenant = (t: Tenant): z.infer<typeof tenantSchema> => ({
  id: t.id,
  name: t.name,
  status: t.status,
  ...(Object.fromEntries(tenantLimitKeys.map((key) => [key, t[key]])) as unknown as TenantLimits),
  createdAt: t.createdAt.toISOString(),
  suspendedAt: iso(t.suspendedAt),
});

/** Per-tenant limits, each within its column's type; null (or absent at creation) means the platform default. */
const tenantLimits = limitShape((b) => z.number().int().min(b.min).max(b.max).nullable().optional().describe(b.about));

export const createTenantBody = z.strictObject({ name: text().trim().min(1).max(200), ...tenantLimits });

export const tenantLimitsBody = z
  .strictObject(tenantLimits)
  .refine((limits) => Object.keys(limits).length > 0, 'name at least one limit to change');

export const tenantIdParams = z.strictObject({ id: idSchema('tenant') });

// ---- API keys

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, to tell keys apart.'),
  createdAt: timestamp,
  revokedAt: timestamp.nullable(),
});

export const newApiKeySchema = apiKeySchema.extend({
  key: z.string().describe('The key itself. Shown once: store it now.'),
});

export const toApiKey = (k: ApiKeyInfo): z.infer<typeof apiKeySchema> => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  revokedAt: iso(k.revokedAt),
});

export const createApiKeyBody = z.strictObject({ name: text().trim().min(1).max(100) });
export const apiKeyIdParams = z.strictObject({ id: idSchema('apiKey') });

// ---- conversations

const triggerPattern = text().min(1).max(TRIGGER_PATTERN_MAX_LENGTH).check(problemCheck(triggerPatternProblem));

export const triggerSchema = z
  .strictObject({
    mode: z
      .enum(['always', 'mention', 'never'])
      .describe('always: every message wakes the assistant; mention: only messages naming it; never: store only.'),
    pattern: triggerPattern
      .nullable()
      .optional()
      .describe(
        `With mode=mention: an RE2 pattern (case-insensitive, at most ${TRIGGER_PATTERN_MAX_LENGTH} characters; no lookaround or backreferences) replacing the default whole-word match of assistantName.`,
      ),
  })
  .describe('Which incoming messages wake the assistant.');

const conversationFields = {
  externalId: text().trim().min(1).max(200).nullable().describe('Your own id for this conversation; unique per tenant.'),
  title: text().max(500).nullable(),
  assistantName: text().trim().min(1).max(100),
  trigger: triggerSchema,
  metadata,
  assistantId: idSchema('assistant')
    .nullable()
    .describe(
      'The assistant that answers (instructions, model, tools); a new conversation takes its name and trigger unless it names its own.',
    ),
  assistantVersion: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .nullable()
    .describe('Pins a version of the assistant; null follows its current one.'),
};

export const createConversationBody = z.strictObject({
  externalId: conversationFields.externalId.optional(),
  title: conversationFields.title.optional(),
  assistantName: conversationFields.assistantName.optional(),
  trigger: conversationFields.trigger.optional(),
  metadata: conversationFields.metadata.optional(),
  assistantId: conversationFields.assistantId.optional(),
  assistantVersion: conversationFields.assistantVersion.optional(),
});

export const updateConversationBody = createConversationBody.refine((b) => Object.keys(b).length > 0, 'send at least one field to change');

export const conversationSchema = z.object({
  id: z.string(),
  externalId: z.string().nullable(),
  title: z.string().nullable(),
  assistantName: z.string(),
  trigger: z.object({ mode: z.enum(['always', 'mention', 'never']), pattern: z.string().nullable() }),
  metadata: z.record(z.string(), z.unknown()),
  assistantId: z.string().nullable(),
  assistantVersion: z.number().int().nullable(),
  lastSeq: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const toConversation = (c: Conversation): z.infer<typeof conversationSchema> => ({
  id: c.id,
  externalId: c.externalId,
  title: c.title,
  assistantName: c.assistantName,
  trigger: { mode: c.triggerMode, pattern: c.triggerPattern },
  metadata: c.metadata,
  assistantId: c.assistantId,
  assistantVersion: c.assistantVersion,
  lastSeq: c.lastSeq,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

/** Flattens the API's `trigger` object onto the table's columns. */
export function conversationColumns(body: z.infer<typeof createConversationBody>) {
  const { trigger, ...rest } = body;
  return trigger ? { ...rest, triggerMode: trigger.mode, triggerPattern: trigger.pattern ?? null } : rest;
}

export const conversationIdParams = z.strictObject({ id: idSchema('conversation') });

export const listConversationsQuery = pageQuery.extend({
  after: idSchema('conversation').optional().describe('Return conversations created after this one.'),
  externalId: text().min(1).max(200).optional().describe('Find the conversation with this external id.'),
  titleContains: text().min(1).max(200).optional().describe('Only conversations whose title contains this (case-insensitive).'),
});

// ---- messages

export const createMessageBody = z.strictObject({
  content: text().min(1).max(65_536),
  sender: text().trim().min(1).max(200).nullable().optional().describe('Who wrote it, as your app names them.'),
  metadata: metadata.optional(),
});

export const messageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  seq: z.number().int().describe('Position in the conversation, from 1, without gaps.'),
  role: z.enum(['user', 'assistant']),
  sender: z.string().nullable(),
  content: z.string(),
  rawContent: z
    .string()
    .nullable()
    .describe("An assistant reply as the agent wrote it, `<internal>` parts included; null for users' messages."),
  turnId: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: timestamp,
});

export const toMessage = (m: Message): z.infer<typeof messageSchema> => ({
  id: m.id,
  conversationId: m.conversationId,
  seq: m.seq,
  role: m.role,
  sender: m.sender,
  content: m.content,
  rawContent: m.rawContent,
  turnId: m.turnId,
  metadata: m.metadata,
  createdAt: m.createdAt.toISOString(),
});

export const listMessagesQuery = pageQuery.extend({
  after: z.coerce.number().int().min(0).default(0).describe('Return messages with seq greater than this.'),
});

// ---- turns

export const turnSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  kind: z.enum(['message', 'task']),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']).describe('queued also means: failed before output, waiting for a retry'),
  covered: z
    .object({ afterSeq: z.number().int(), throughSeq: z.number().int() })
    .describe('The messages this turn answers: seq in (afterSeq, throughSeq].'),
  attempt: z.number().int(),
  outputSent: z.boolean(),
  error: z.object({ message: z.string() }).loose().nullable(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }).nullable(),
  assistantVersionId: z.string().nullable().describe("The assistant version the turn ran with; null: the worker's defaults."),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
});

export const toTurn = (t: Turn): z.infer<typeof turnSchema> => ({
  id: t.id,
  conversationId: t.conversationId,
  kind: t.kind,
  status: t.status,
  covered: { afterSeq: t.fromSeq, throughSeq: t.toSeq },
  attempt: t.attempt,
  outputSent: t.outputSent,
  error: t.error ?? null,
  usage: t.usage ?? null,
  assistantVersionId: t.assistantVersionId,
  createdAt: t.createdAt.toISOString(),
  startedAt: t.startedAt?.toISOString() ?? null,
  finishedAt: t.finishedAt?.toISOString() ?? null,
});

export const page = <T extends z.ZodType>(item: T, cursor: z.ZodType) =>
  z.object({
    data: z.array(item),
    next: cursor.nullable().describe('Pass as `after` to get the next page; null on the last page.'),
  });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
  })
  .loose()
  .describe('RFC 9457 problem details (application/problem+json).');
