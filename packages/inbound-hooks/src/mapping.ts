import { AppError, idSchema, problemCheck, text, textProblem } from '@warren/core';
import { z } from 'zod';
import { JSON_POINTER } from './json-pointer.ts';
import { MappingError, renderTemplate, scalarAt, templateProblem } from './template.ts';

const pointer = text()
  .max(500)
  .regex(JSON_POINTER, 'must be a JSON pointer (RFC 6901), e.g. /repository/full_name')
  .refine((p) => p !== '', 'must name a member, not the whole payload');

const MESSAGE_MAX_LENGTH = 65_536;

/** Where a delivery goes and what it says; stored with the hook and checked again when read. */
export const hookMappingSchema = z.strictObject({
  conversation: z
    .union([
      z.strictObject({ id: idSchema('conversation').describe('Every delivery goes to this conversation.') }),
      z.strictObject({
        externalIdPointer: pointer.describe(
          'The conversation whose externalId is the value here; created on first sight (within the maxConversations quota).',
        ),
      }),
    ])
    .describe('Which conversation a delivery is posted to.'),
  text: z
    .union([
      z.strictObject({ pointer: pointer.describe('The message text is the value here.') }),
      z.strictObject({
        template: text()
          .min(1)
          .max(2000)
          .check(problemCheck(templateProblem))
          .describe(
            'Literal text with {{/json/pointer}} substitutions, e.g. "{{/issue/title}}: {{/comment/body}}". Nothing else is evaluated.',
          ),
      }),
    ])
    .describe('The message text.'),
  senderPointer: pointer.optional().describe("The message's sender is the value here (e.g. /sender/login)."),
});

export type HookMapping = z.infer<typeof hookMappingSchema>;

export interface MappedDelivery {
  conversation: { id: string } | { externalId: string };
  content: string;
  sender: string | null;
}

/** Applies a hook's mapping to a parsed payload; a payload that does not fit is a 422, naming why. */
export function mapDelivery(mapping: HookMapping, payload: unknown): MappedDelivery {
  try {
    const content = 'pointer' in mapping.text ? scalarAt(payload, mapping.text.pointer) : renderTemplate(mapping.text.template, payload);
    const conversation =
      'id' in mapping.conversation
        ? { id: mapping.conversation.id }
        : { externalId: checked('the external id', scalarAt(payload, mapping.conversation.externalIdPointer), 200) };
    const sender = mapping.senderPointer ? checked('the sender', scalarAt(payload, mapping.senderPointer), 200) : null;
    return { conversation, content: checked('the message text', content, MESSAGE_MAX_LENGTH), sender };
  } catch (err) {
    if (err instanceof MappingError) throw new AppError('hook_mapping_failed', err.message);
    throw err;
  }
}

/** The same rules a message posted through the API meets. */
function checked(what: string, value: string, maxLength: number): string {
  if (value.trim() === '') throw new MappingError(`${what} is empty`);
  if (value.length > maxLength) throw new MappingError(`${what} is longer than ${maxLength} characters`);
  const problem = textProblem(value);
  if (problem) throw new MappingError(`${what} ${problem}`);
  return value;
}
