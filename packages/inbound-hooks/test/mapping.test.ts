import { AppError } from '@warren/core';
import { describe, expect, it } from 'vitest';
import { hookMappingSchema, mapDelivery, resolvePointer } from '../src/index.ts';

describe('resolvePointer (RFC 6901)', () => {
  // The examples of RFC 6901 §5.
  const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'c%d': 2, 'e^f': 3, 'g|h': 4, 'i\\j': 5, 'k"l': 6, ' ': 7, 'm~n': 8 };
  it.each([
    ['', doc],
    ['/foo', ['bar', 'baz']],
    ['/foo/0', 'bar'],
    ['/', 0],
    ['/a~1b', 1],
    ['/c%d', 2],
    ['/e^f', 3],
    ['/g|h', 4],
    ['/i\\j', 5],
    ['/k"l', 6],
    ['/ ', 7],
    ['/m~0n', 8],
  ])('%s', (pointer, value) => expect(resolvePointer(doc, pointer)).toEqual(value));

  it('names nothing for absent members, bad or out-of-range indexes, and inherited properties', () => {
    for (const pointer of ['/nope', '/foo/2', '/foo/01', '/foo/-', '/foo/x', '/foo/0/deeper', '/toString', '/__proto__']) {
      expect(resolvePointer(doc, pointer), pointer).toBeUndefined();
    }
    expect(() => resolvePointer(doc, 'foo')).toThrow(/not a JSON pointer/);
    expect(() => resolvePointer(doc, '/bad~2escape')).toThrow(/not a JSON pointer/);
  });
});

describe('mapDelivery', () => {
  const mapping = (m: unknown) => hookMappingSchema.parse(m);
  const payload = { issue: { title: 'Build broken', number: 42, open: true }, comment: { body: 'tests fail' }, repo: 'org/app' };

  it('fills templates with strings, numbers and booleans, and nothing else is evaluated', () => {
    const m = mapping({
      conversation: { externalIdPointer: '/repo' },
      text: { template: '#{{/issue/number}} {{/issue/title}} ({{/issue/open}}): {{/comment/body}} {{not closed' },
    });
    expect(mapDelivery(m, payload)).toEqual({
      conversation: { externalId: 'org/app' },
      content: '#42 Build broken (true): tests fail {{not closed',
      sender: null,
    });
  });

  it('refuses, with 422, what the payload does not have or what is not text', () => {
    const cases: Array<[unknown, unknown, RegExp]> = [
      [{ conversation: { externalIdPointer: '/repo' }, text: { pointer: '/missing' } }, payload, /nothing at \/missing/],
      [{ conversation: { externalIdPointer: '/repo' }, text: { pointer: '/issue' } }, payload, /not a string/],
      [{ conversation: { externalIdPointer: '/repo' }, text: { template: 'x {{/comment/none}}' } }, payload, /nothing at/],
      [{ conversation: { externalIdPointer: '/repo' }, text: { pointer: '/t' } }, { repo: 'r', t: '   ' }, /empty/],
      [{ conversation: { externalIdPointer: '/repo' }, text: { pointer: '/t' } }, { repo: 'r', t: 'a\u0000b' }, /NUL/],
      [{ conversation: { externalIdPointer: '/repo' }, text: { pointer: '/t' } }, { repo: null, t: 'x' }, /is null/],
      [{ conversation: { externalIdPointer: '/repo' }, text: { pointer: '/t' } }, { repo: 'r', t: 'x'.repeat(65_537) }, /longer/],
      [{ conversation: { externalIdPointer: '/repo' }, text: { pointer: '/t' } }, ['not', 'an', 'object'], /nothing at/],
    ];
    for (const [m, p, why] of cases) {
      let thrown: unknown;
      try {
        mapDelivery(mapping(m), p);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, JSON.stringify(m)).toBeInstanceOf(AppError);
      expect((thrown as AppError).kind).toBe('hook_mapping_failed');
      expect((thrown as AppError).message).toMatch(why);
    }
  });

  it('refuses templates without a substitution or with one that is not a pointer', () => {
    for (const template of ['plain text', '{{comment}}', '{{/a~2}}', '{{/a}} {{ x }}']) {
      expect(hookMappingSchema.safeParse({ conversation: { externalIdPointer: '/r' }, text: { template } }).success, template).toBe(false);
    }
  });
});
