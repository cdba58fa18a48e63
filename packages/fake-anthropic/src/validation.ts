import type { z } from 'zod';
import { invalidRequest } from './errors.ts';

/**
 * Parses a request body, or throws a 400 whose message names the field the way the real API
 * does (`messages.0.content.1.text: Field required`), so a test failure points at the culprit.
 */
export function parseRequestBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  throw invalidRequest(result.error.issues.map((issue) => describeIssue(issue, [])).join('; '));
}

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

function describeIssue(issue: Issue, prefix: Path): string {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // A union fails as a whole; report the branch whose shape matched (its issues lie deeper
    // than a type mismatch at the union itself), else the types that would have been accepted.
    const matched = issue.errors.find((branch) => branch.some((i) => i.path.length > 0 || i.code !== 'invalid_type'));
    if (matched?.[0]) return describeIssue(matched[0], path);
    const expected = issue.errors.flat().flatMap((i) => (i.code === 'invalid_type' ? [i.expected] : []));
    return `${at(path)}Invalid input: expected ${expected.join(' or ')}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${at(path)}Field required`;
  return `${at(path)}${issue.message}`;
}

const at = (path: Path) => (path.length > 0 ? `${path.map(String).join('.')}: ` : '');
