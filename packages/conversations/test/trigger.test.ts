import { describe, expect, it } from 'vitest';
import { isTrigger } from '../src/index.ts';

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
