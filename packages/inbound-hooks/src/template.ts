import { JSON_POINTER, resolvePointer } from './json-pointer.ts';

// A text template is literal text with `{{<JSON pointer>}}` substitutions and nothing else:
// no expressions, no code. `{{/issue/title}}: {{/comment/body}}`.

const SUBSTITUTION = /\{\{([^{}]*)\}\}/g;

/** Why a template cannot be used, or null. */
export function templateProblem(template: string): string | null {
  let count = 0;
  for (const [, pointer] of template.matchAll(SUBSTITUTION)) {
    if (!JSON_POINTER.test(pointer!)) return `{{${pointer}}} is not a JSON pointer (RFC 6901, e.g. {{/comment/body}})`;
    count++;
  }
  return count === 0 ? 'a template needs at least one {{/json/pointer}}' : null;
}

/**
 * Fills in each substitution with the string, number or boolean the pointer names. Anything
 * else (missing, null, an object or array) is an error naming the pointer: a message made of
 * "undefined" or "[object Object]" would be stored as if it were meant.
 */
export function renderTemplate(template: string, doc: unknown): string {
  return template.replaceAll(SUBSTITUTION, (_match, pointer: string) => scalarAt(doc, pointer));
}

export function scalarAt(doc: unknown, pointer: string): string {
  const value = resolvePointer(doc, pointer);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new MappingError(
    value === undefined
      ? `the payload has nothing at ${pointer}`
      : `${pointer} is ${value === null ? 'null' : 'not a string, number or boolean'}`,
  );
}

export class MappingError extends Error {
  override name = 'MappingError';
}
