import { RE2JS, RE2JSException } from 're2js';
import type { Conversation } from './conversations.ts';

export const TRIGGER_PATTERN_MAX_LENGTH = 200;
/**
 * RE2 matches in time linear in the input, but its constant is the compiled program's size:
 * `.{1000}.{1000}` is short and large. With this cap and the 64 KiB message cap, one match
 * costs tens of milliseconds at worst.
 */
const MAX_PROGRAM_SIZE = 1_000;

/**
 * Compiles a tenant's trigger pattern with RE2 (re2js): no backtracking, so no pattern makes a
 * match take exponential time, as `(a+)+$` does with JavaScript's RegExp. RE2 refuses what needs
 * backtracking (lookaround, backreferences). Matching is case-insensitive. Returns the compiled
 * pattern, or why it is refused.
 */
function compile(pattern: string): RE2JS | string {
  if (pattern.length > TRIGGER_PATTERN_MAX_LENGTH) return `must be at most ${TRIGGER_PATTERN_MAX_LENGTH} characters`;
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    if (err instanceof RE2JSException) return `not a supported RE2 pattern: ${err.message}`;
    throw err;
  }
  return compiled.programSize() > MAX_PROGRAM_SIZE ? 'too complex: use fewer or smaller repetitions' : compiled;
}

/** Why a pattern cannot be a trigger pattern, or null when it can. */
export function triggerPatternProblem(pattern: string): string | null {
  const compiled = compile(pattern);
  return typeof compiled === 'string' ? compiled : null;
}

// Compiled patterns by source, so a busy conversation does not recompile on every message.
const compiledCache = new Map<string, RE2JS | null>();
const CACHE_ENTRIES = 1_000;

function cachedPattern(source: string): RE2JS | null {
  let compiled = compiledCache.get(source);
  if (compiled === undefined) {
    const result = compile(source);
    compiled = typeof result === 'string' ? null : result;
    if (compiledCache.size >= CACHE_ENTRIES) compiledCache.delete(compiledCache.keys().next().value!);
    compiledCache.set(source, compiled);
  }
  return compiled;
}

const notWordChar = '[^\\p{L}\\p{N}_]';
const mentionOf = (name: string) => `(?:^|${notWordChar})${RE2JS.quote(name)}(?:${notWordChar}|$)`;

/**
 * Does this message wake the assistant? `always` and `never` say so outright; `mention` looks
 * for the conversation's pattern, or else the assistant's name as a whole word in any case
 * ("@Andy, help" and "andy?" match, "Andyman" does not). A pattern stored before patterns were
 * RE2 that RE2 refuses counts as absent, so naming the assistant still wakes it. Messages that
 * do not trigger are still stored and become context for the next turn.
 */
export function isTrigger(conversation: Pick<Conversation, 'triggerMode' | 'triggerPattern' | 'assistantName'>, content: string): boolean {
  switch (conversation.triggerMode) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'mention': {
      const custom = conversation.triggerPattern === null ? null : cachedPattern(conversation.triggerPattern);
      return (custom ?? cachedPattern(mentionOf(conversation.assistantName)))?.test(content) ?? false;
    }
  }
}
