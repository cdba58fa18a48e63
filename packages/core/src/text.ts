import { z } from 'zod';

/**
 * Why a string cannot be stored as text, or null: Postgres refuses NUL in `text` and `jsonb`,
 * and a lone UTF-16 surrogate has no UTF-8 encoding. Both would otherwise fail deep in a query.
 */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (!s.isWellFormed()) return 'must not contain lone surrogates';
  return null;
}

/** A zod check from a function saying what is wrong with a value (null: nothing). */
export const problemCheck =
  <T>(problemOf: (value: T) => string | null) =>
  (ctx: z.core.ParsePayload<T>) => {
    const problem = problemOf(ctx.value);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  };

/** A string that Postgres can store: every text field, query and path parameter starts here. */
export const text = () => z.string().check(problemCheck(textProblem));

/**
 * The first string (key or value) anywhere in a JSON value that Postgres could not store, and
 * why; null when there is none. Walks with an explicit stack: the value's depth is the client's.
 */
export function jsonTextProblem(value: unknown): string | null {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return `strings ${problem}`;
    } else if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === 'object') {
      for (const [key, inner] of Object.entries(v)) stack.push(key, inner);
    }
  }
  return null;
}
