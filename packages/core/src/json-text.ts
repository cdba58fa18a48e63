import sjson from 'secure-json-parse';
import { AppError } from './problems.ts';

/** Deeper JSON is refused before it is parsed: validators, JSON.stringify and jsonb all recurse. */
export const MAX_JSON_DEPTH = 32;

/** The nesting depth of a JSON text, counted without parsing (and so without recursion). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * Parses a client's JSON text: nesting bounded first, then secure-json-parse as Fastify uses it
 * (refusing `__proto__` and `constructor.prototype` keys). Every refusal is a 400 AppError.
 */
export function parseClientJson(text: string, what = 'the body'): unknown {
  if (text.trim() === '') throw new AppError('validation', `${what} is empty; send a JSON document`);
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw new AppError('validation', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return sjson.parse(text, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    throw new AppError('validation', `${what} is not valid JSON: ${(err as Error).message}`);
  }
}
