import { AppError } from '@warren/core';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import sjson from 'secure-json-parse';

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
 * Replaces Fastify's JSON body parser with one that bounds nesting first, then parses with
 * secure-json-parse as Fastify does (refusing `__proto__` and `constructor.prototype` keys).
 * Size is bounded before this by the body limit.
 */
export const jsonBody = fp(async (app: FastifyInstance) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(new AppError('validation', 'the body is empty; send a JSON document'));
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) return done(new AppError('validation', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`));
    try {
      done(null, sjson.parse(text, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      done(new AppError('validation', `the body is not valid JSON: ${(err as Error).message}`));
    }
  });
});
