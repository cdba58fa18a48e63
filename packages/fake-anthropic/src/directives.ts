import { type ErrorStatus, errorStatuses, invalidRequest, isErrorStatus } from './errors.ts';

/**
 * Scripting: lines of the last user message that start with `#fake` tell the fake how to answer
 * (syntax in the README). Everything else in the message is ordinary text.
 */
export type Directive =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; name: string; input: Record<string, unknown> }
  | { kind: 'long'; chars: number }
  | { kind: 'sleep'; ms: number }
  | { kind: 'pace'; ms: number }
  | { kind: 'error'; status: ErrorStatus; message: string | undefined; midStream: boolean };

export interface ParsedText {
  directives: Directive[];
  /** The text with the directive lines taken out. */
  rest: string;
}

const directiveLine = /^\s*#fake(?:[ \t]+(.*))?$/;

/** Large enough for any benchmark, small enough that a typo cannot exhaust memory or hang a test run. */
const maxChars = 10_000_000;
const maxMs = 10 * 60 * 1000;

export function parseDirectives(text: string): ParsedText {
  const directives: Directive[] = [];
  const rest: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = directiveLine.exec(line);
    if (match) directives.push(parseDirective(match[1] ?? '', line.trim()));
    else rest.push(line);
  }
  return { directives, rest: rest.join('\n') };
}

function parseDirective(body: string, line: string): Directive {
  // The text of `#fake text` is everything after the one blank that ends the verb, verbatim.
  const [, verb = '', verbatim = ''] = /^(\S*)(?:[ \t](.*))?$/.exec(body) ?? [];
  const args = verbatim.trim();
  const fail = (why: string) => invalidRequest(`${JSON.stringify(line)}: ${why}`);
  switch (verb) {
    case 'text':
      return { kind: 'text', text: verbatim };
    case 'tool': {
      const [, name = '', json = ''] = /^(\S*)\s*(.*)$/.exec(args) ?? [];
      if (!name) throw fail('expected `#fake tool <name> [json object]`');
      return { kind: 'tool', name, input: parseToolInput(json, fail) };
    }
    case 'long':
      return { kind: 'long', chars: parseCount(args, maxChars, 'a character count', fail) };
    case 'sleep':
    case 'pace':
      return { kind: verb, ms: parseCount(args, maxMs, 'milliseconds', fail) };
    case 'error':
    case 'stream-error': {
      const [, statusText = '', message = ''] = /^(\S*)\s*(.*)$/.exec(args) ?? [];
      const status = Number(statusText);
      if (!isErrorStatus(status)) throw fail(`expected one of the statuses ${errorStatuses.join(', ')}`);
      return { kind: 'error', status, message: message || undefined, midStream: verb === 'stream-error' };
    }
    default:
      throw fail(`unknown directive ${JSON.stringify(verb)}; known: text, tool, long, sleep, pace, error, stream-error`);
  }
}

function parseToolInput(json: string, fail: (why: string) => Error): Record<string, unknown> {
  if (!json) return {};
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch {
    throw fail('the tool input is not valid JSON');
  }
  // The API's tool inputs are always objects.
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw fail('the tool input must be a JSON object');
  return input as Record<string, unknown>;
}

function parseCount(text: string, max: number, what: string, fail: (why: string) => Error): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n <= max)) throw fail(`expected ${what}, an integer from 0 to ${max}`);
  return n;
}
