import { z } from 'zod';

// The Messages API request body, as far as the fake needs to understand it. Objects are loose
// (unknown fields pass) because the real API grows fields faster than this file; what the fake
// reads is checked strictly, so a client bug fails here as it would upstream.

const cacheControl = z.looseObject({ type: z.string() }).nullable().optional();

export const textBlock = z.looseObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControl,
});

const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
  cache_control: cacheControl,
});

/** What a tool_result may carry: text is read by the fake, other block kinds are passed over. */
const toolResultContentBlock = z.discriminatedUnion('type', [
  textBlock,
  ...(['image', 'document', 'search_result', 'tool_reference', 'browser_state'] as const).map((type) =>
    z.looseObject({ type: z.literal(type) }),
  ),
]);

const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(toolResultContentBlock)]).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
});

/** Block kinds the SDK can send that the fake accepts without reading them. */
const passedOverBlockTypes = [
  'image',
  'document',
  'search_result',
  'thinking',
  'redacted_thinking',
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
  'container_upload',
] as const;

const contentBlock = z.discriminatedUnion('type', [
  textBlock,
  toolUseBlock,
  toolResultBlock,
  ...passedOverBlockTypes.map((type) => z.looseObject({ type: z.literal(type) })),
]);

const message = z.looseObject({
  // `system` messages are in the SDK's MessageParam since 1.x, so the fake takes them too.
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(contentBlock)]),
});

const tool = z.looseObject({ name: z.string().min(1) });

const toolChoice = z.looseObject({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional() });

const requestFields = {
  model: z.string().min(1),
  messages: z.array(message).min(1, 'at least one message is required'),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  thinking: z.looseObject({ type: z.string() }).optional(),
};

export const createMessageBody = z.looseObject({
  ...requestFields,
  max_tokens: z.number().int().positive(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
  stop_sequences: z.array(z.string()).optional(),
  metadata: z.looseObject({ user_id: z.string().nullable().optional() }).optional(),
});

export const countTokensBody = z.looseObject(requestFields);

export type CreateMessageBody = z.infer<typeof createMessageBody>;
export type CountTokensBody = z.infer<typeof countTokensBody>;
export type RequestMessage = z.infer<typeof message>;
export type ContentBlock = z.infer<typeof contentBlock>;
export type TextBlock = z.infer<typeof textBlock>;
