import { describe, expect, it } from 'vitest';
import { parseDirectives } from '../src/directives.ts';
import { FakeApiError } from '../src/errors.ts';

const failure = (text: string) => {
  try {
    parseDirectives(text);
  } catch (err) {
    expect(err).toBeInstanceOf(FakeApiError);
    return (err as FakeApiError).message;
  }
  throw new Error('expected parseDirectives to fail');
};

describe('parseDirectives', () => {
  it('takes every #fake line, in order, and leaves the rest as text', () => {
    const parsed = parseDirectives(
      [
        'Please help.',
        '#fake text Sure!',
        '  #fake tool lookup {"q": "a b", "n": [1]}',
        '#fake tool ping',
        '#fake long 12',
        '#fake sleep 5',
        '#fake pace 7',
        '#fake error 529 busy right now',
        '#fake stream-error 500',
        'Thanks.',
      ].join('\n'),
    );
    expect(parsed.rest).toBe('Please help.\nThanks.');
    expect(parsed.directives).toEqual([
      { kind: 'text', text: 'Sure!' },
      { kind: 'tool', name: 'lookup', input: { q: 'a b', n: [1] } },
      { kind: 'tool', name: 'ping', input: {} },
      { kind: 'long', chars: 12 },
      { kind: 'sleep', ms: 5 },
      { kind: 'pace', ms: 7 },
      { kind: 'error', status: 529, message: 'busy right now', midStream: false },
      { kind: 'error', status: 500, message: undefined, midStream: true },
    ]);
  });

  it('ignores lines that only look alike', () => {
    const text = 'say #fake text no\n#fakery\n# fake text no';
    expect(parseDirectives(text)).toEqual({ directives: [], rest: text });
  });

  it('handles CRLF line ends', () => {
    expect(parseDirectives('hi\r\n#fake text yes\r\n').directives).toEqual([{ kind: 'text', text: 'yes' }]);
  });

  it.each([
    ['#fake', 'unknown directive ""'],
    ['#fake shout hi', 'unknown directive "shout"'],
    ['#fake tool', 'expected `#fake tool <name> [json object]`'],
    ['#fake tool t {oops}', 'not valid JSON'],
    ['#fake tool t [1, 2]', 'must be a JSON object'],
    ['#fake sleep soon', 'expected milliseconds'],
    ['#fake sleep -5', 'expected milliseconds'],
    ['#fake long 1e3', 'expected a character count'],
    ['#fake error 200', 'expected one of the statuses'],
  ])('rejects %j', (line, why) => {
    const message = failure(`hello\n${line}`);
    expect(message).toContain(JSON.stringify(line));
    expect(message).toContain(why);
  });
});
