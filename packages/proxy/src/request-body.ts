import type { IncomingMessage } from 'node:http';
import { z } from 'zod';

/**
 * Tokens the API adds to a request beyond its bytes: the tool-use system prompt (a few hundred
 * tokens) and message framing. With it, `bytes + allowance` bounds a request's input tokens: a
 * token of text spans at least one byte, and the JSON around the text only adds bytes.
 */
export const INPUT_ALLOWANCE_TOKENS = 1000;

/** The body, or 'too_large' as soon as it passes `limit` bytes (by content-length or by counting). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return 'too_large';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return 'too_large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// Only content whose input tokens its bytes bound: text, tool calls and their text results,
// thinking. Images and documents cost by pixels and pages, server tools (web search, fetch,
// code execution) and MCP servers pull in input the request does not hold; none of it could be
// reserved before the call, so none of it passes.
const textBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const contentBlock = z.discriminatedUnion('type', [
  textBlock,
  z.looseObject({ type: z.literal('tool_use') }),
  z.looseObject({ type: z.literal('tool_result'), content: z.union([z.string(), z.array(textBlock)]).optional() }),
  z.looseObject({ type: z.literal('thinking') }),
  z.looseObject({ type: z.literal('redacted_thinking') }),
]);
const customTool = z.looseObject({ type: z.literal('custom').optional(), name: z.string(), input_schema: z.unknown() });

const messagesRequestSchema = z.strictObject({
  model: z.string(),
  max_tokens: z.number({ error: 'is required: the proxy reserves it against the budget' }).int().positive(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(contentBlock)]) })),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(customTool).optional(),
  tool_choice: z.unknown().optional(),
  stream: z.boolean().optional(),
  temperature: z.unknown().optional(),
  top_p: z.unknown().optional(),
  top_k: z.unknown().optional(),
  stop_sequences: z.unknown().optional(),
  metadata: z.unknown().optional(),
  thinking: z.unknown().optional(),
  service_tier: z.unknown().optional(),
});

/** The most a Messages API call can cost: its input bound and its output cap. */
export interface WorstCase {
  inputTokens: number;
  maxTokens: number;
}

/** The call's worst case, or why it is refused (400). */
export function worstCaseOf(body: Buffer): { ok: true; worstCase: WorstCase } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, message: 'the request body is not JSON' };
  }
  const parsed = messagesRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      message: `${issue.path.join('.') || 'body'}: ${issue.message} (this proxy forwards text, tool and thinking content and custom tools only)`,
    };
  }
  return { ok: true, worstCase: { inputTokens: body.length + INPUT_ALLOWANCE_TOKENS, maxTokens: parsed.data.max_tokens } };
}
