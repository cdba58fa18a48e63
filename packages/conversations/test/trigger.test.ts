import { describe, expect, it } from 'vitest';
import { isTrigger, triggerPatternProblem } from '../src/index.ts';

const conv = (triggerMode: 'always' | 'mention' | 'never', triggerPattern: string | null = null, assistantName = 'Andy') => ({
  triggerMode,
  triggerPattern,
  assistantName,
});

describe('isTrigger', () => {
  it('always and never', () => {
    expect(isTrigger(conv('always'), 'anything')).toBe(true);
    expect(isTrigger(conv('never'), '@Andy please')).toBe(false);
  });

  it.each([
    ['@Andy can you help?', true],
    ['andy, the build is broken', true],
    ['ANDY', true],
    ['thanks Andy.', true],
    ['Andyman is here', false],
    ['grandy', false],
    ['the build is broken', false],
  ])('mention of the assistant name as a whole word: %s', (content, expected) => {
    expect(isTrigger(conv('mention'), content)).toBe(expected);
  });

  it('names with regex characters are matched literally', () => {
    expect(isTrigger(conv('mention', null, 'C3.PO'), 'hey c3.po')).toBe(true);
    expect(isTrigger(conv('mention', null, 'C3.PO'), 'hey c3xpo')).toBe(false);
  });

  it('a configured pattern replaces the name', () => {
    expect(isTrigger(conv('mention', '^/ask\\b'), '/ask what now')).toBe(true);
    expect(isTrigger(conv('mention', '^/ask\\b'), 'Andy, what now')).toBe(false);
  });
});

describe('trigger patterns are RE2', () => {
  it('runs a catastrophic-backtracking pattern in linear time', () => {
    // With RegExp, 30 a's and a '!' take minutes; RE2 does not backtrack. (No timing asserted:
    // on a backtracking engine this test simply does not finish.)
    expect(isTrigger(conv('mention', '(a+)+$'), `${'a'.repeat(65_536)}!`)).toBe(false);
    expect(isTrigger(conv('mention', '(a+)+$'), 'a'.repeat(30))).toBe(true);
  });

  it.each([
    ['(?=x)', /RE2/],
    ['(a)\\1', /RE2/],
    ['(?<!x)y', /RE2/],
    ['[', /RE2/],
    ['a{1001}', /RE2/],
    ['.{1000}.{1000}', /too complex/],
    ['x'.repeat(201), /at most 200/],
  ])('refuses %s, saying why', (pattern, why) => {
    expect(triggerPatternProblem(pattern)).toMatch(why);
  });

  it('accepts ordinary patterns', () => {
    for (const p of ['^/ask\\b', '\\bandy\\b', '(?i)help|urgent', '\\p{L}+!']) expect(triggerPatternProblem(p)).toBeNull();
  });

  it('a stored pattern RE2 refuses falls back to the name mention', () => {
    expect(isTrigger(conv('mention', '(?=ask)'), 'Andy, hi')).toBe(true);
    expect(isTrigger(conv('mention', '(?=ask)'), 'ask me')).toBe(false);
  });

  it('matches the name case-insensitively beyond ASCII', () => {
    expect(isTrigger(conv('mention', null, 'Ärger'), 'hallo ärger!')).toBe(true);
    expect(isTrigger(conv('mention', null, 'Ärger'), 'hallo Ärgernis')).toBe(false);
  });
});
