import {
  type AssistantSettings,
  type AssistantVersion,
  changeAssistant,
  createAssistant,
  getAssistant,
  getAssistantVersion,
  listAssistants,
  listAssistantVersions,
  MAX_ASSISTANT_VERSIONS,
} from '@warren/conversations';
import { idSchema, text } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { page, pageQuery, triggerSchema } from '../schemas.ts';

const name = text().trim().min(1).max(100);
const toolName = text().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a tool name: lower-case letters, digits, _');
const skillName = text().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a skill name: lower-case letters, digits, . _ -');

const fields = {
  name: name.describe('The name people call the assistant by; conversations created with it take it as assistantName.'),
  instructions: text().max(100_000).describe("The system prompt of the assistant's turns."),
  model: text().min(1).max(100).nullable().describe("The model of its turns; null: the worker's MODEL."),
  maxTokens: z.number().int().min(1).max(200_000).nullable().describe("max_tokens per model call; null: the worker's TURN_MAX_TOKENS."),
  tools: z.array(toolName).max(100).nullable().describe('The tools offered to the model (bash, read_file, …); null: all of them.'),
  skills: z.array(skillName).max(50).describe('Skill bundles the assistant carries, by name.'),
  trigger: triggerSchema.describe('The trigger of conversations created with the assistant that name none.'),
  compactionBudgetTokens: z
    .number()
    .int()
    .min(1_000)
    .max(10_000_000)
    .nullable()
    .describe("The context size (tokens) at which a conversation's history is compacted; null: the worker's COMPACTION_BUDGET_TOKENS."),
};

const createBody = z.strictObject({
  name: fields.name,
  instructions: fields.instructions,
  model: fields.model.optional(),
  maxTokens: fields.maxTokens.optional(),
  tools: fields.tools.optional(),
  skills: fields.skills.optional(),
  trigger: fields.trigger.optional(),
  compactionBudgetTokens: fields.compactionBudgetTokens.optional(),
});
const changeBody = createBody.partial().refine((b) => Object.keys(b).length > 0, 'send at least one field to change');

const assistantSchema = z.object({
  id: z.string(),
  version: z.number().int().describe('Versions are immutable; every change makes the next one.'),
  versionId: z.string().describe('What turns record as the version they ran with.'),
  name: z.string(),
  instructions: z.string(),
  model: z.string().nullable(),
  maxTokens: z.number().int().nullable(),
  tools: z.array(z.string()).nullable(),
  skills: z.array(z.string()),
  trigger: z.object({ mode: z.enum(['always', 'mention', 'never']), pattern: z.string().nullable() }),
  compactionBudgetTokens: z.number().int().nullable(),
  createdAt: z.iso.datetime().describe('When this version was made.'),
});

const toAssistant = (v: AssistantVersion): z.infer<typeof assistantSchema> => ({
  id: v.assistantId,
  version: v.version,
  versionId: v.id,
  name: v.name,
  instructions: v.instructions,
  model: v.model,
  maxTokens: v.maxTokens,
  tools: v.tools,
  skills: v.skills,
  trigger: { mode: v.triggerMode, pattern: v.triggerPattern },
  compactionBudgetTokens: v.compactionBudgetTokens,
  createdAt: v.createdAt.toISOString(),
});

/** The API's fields on the table's columns (the trigger flattened). */
function settings(body: z.infer<typeof changeBody>): Partial<AssistantSettings> {
  const { trigger, ...rest } = body;
  return trigger ? { ...rest, triggerMode: trigger.mode, triggerPattern: trigger.pattern ?? null } : rest;
}

const idParams = z.strictObject({ id: idSchema('assistant') });

/** Assistants: what answers in a conversation (instructions, model, tools), in immutable versions. */
export const assistantRoutes: FastifyPluginAsyncZod<{ pool: Pool; defaultMaxAssistants: number }> = async (
  app,
  { pool, defaultMaxAssistants },
) => {
  const tags = ['assistants'];
  const tenant = <T>(tenantId: string, fn: Parameters<typeof withTenant<T>>[2]) => withTenant(pool, tenantId, fn);

  app.post(
    '/v1/assistants',
    {
      schema: {
        tags,
        summary: 'Create an assistant (version 1)',
        description: `A tenant holds at most its quota of assistants (maxAssistants, by default ${defaultMaxAssistants}); beyond it, 409 assistant-quota-exceeded. Names are unique per tenant.`,
        body: createBody,
        response: { 201: assistantSchema },
      },
    },
    async (request, reply) => {
      const { name, instructions } = request.body;
      const max = request.tenantMaxAssistants ?? defaultMaxAssistants;
      const created = await tenant(request.tenantId, (tx) => createAssistant(tx, { ...settings(request.body), name, instructions }, max));
      return reply.status(201).send(toAssistant(created));
    },
  );

  app.get(
    '/v1/assistants',
    {
      schema: {
        tags,
        summary: 'List assistants (their current versions), oldest first',
        querystring: pageQuery.extend({ after: idSchema('assistant').optional().describe('Return assistants created after this one.') }),
        response: { 200: page(assistantSchema, z.string()) },
      },
    },
    (request) =>
      tenant(request.tenantId, async (tx) => {
        const { limit, after } = request.query;
        const rows = await listAssistants(tx, { after, limit: limit + 1 });
        const data = rows.slice(0, limit).map(toAssistant);
        return { data, next: rows.length > limit ? data.at(-1)!.id : null };
      }),
  );

  app.get(
    '/v1/assistants/:id',
    { schema: { tags, summary: "An assistant's current version", params: idParams, response: { 200: assistantSchema } } },
    (request) => tenant(request.tenantId, async (tx) => toAssistant(await getAssistant(tx, request.params.id))),
  );

  app.patch(
    '/v1/assistants/:id',
    {
      schema: {
        tags,
        summary: 'Change an assistant: writes its next version',
        description: `Conversations that follow the assistant run their next turn with the new version; pinned ones keep theirs. At most ${MAX_ASSISTANT_VERSIONS} versions.`,
        params: idParams,
        body: changeBody,
        response: { 200: assistantSchema },
      },
    },
    (request) => tenant(request.tenantId, async (tx) => toAssistant(await changeAssistant(tx, request.params.id, settings(request.body)))),
  );

  app.get(
    '/v1/assistants/:id/versions',
    {
      schema: {
        tags,
        summary: "An assistant's versions, newest first",
        params: idParams,
        querystring: pageQuery.extend({
          before: z.coerce.number().int().min(1).max(MAX_ASSISTANT_VERSIONS).optional().describe('Return versions older than this one.'),
        }),
        response: { 200: page(assistantSchema, z.number().int()) },
      },
    },
    (request) =>
      tenant(request.tenantId, async (tx) => {
        const { limit, before } = request.query;
        const rows = await listAssistantVersions(tx, request.params.id, { before, limit: limit + 1 });
        const data = rows.slice(0, limit).map(toAssistant);
        return { data, next: rows.length > limit ? data.at(-1)!.version : null };
      }),
  );

  app.get(
    '/v1/assistants/:id/versions/:version',
    {
      schema: {
        tags,
        summary: 'One version of an assistant',
        params: idParams.extend({ version: z.coerce.number().int().min(1).max(MAX_ASSISTANT_VERSIONS) }),
        response: { 200: assistantSchema },
      },
    },
    (request) =>
      tenant(request.tenantId, async (tx) => toAssistant(await getAssistantVersion(tx, request.params.id, request.params.version))),
  );
};
