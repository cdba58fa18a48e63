import fc from 'fast-check';

/** The part of an OpenAPI 3 schema (as @fastify/swagger writes ours) that the fuzzer reads. */
export interface Schema {
  type?: string;
  enum?: unknown[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
}

/** Strings that have broken servers: NUL, lone surrogates, escapes, SQL, long runs. */
export const hostileString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '\udc00\ud800',
    '%00',
    '%ZZ',
    "'; DROP TABLE messages--",
    '__proto__',
    '\\',
    '"',
    '{}',
    '(a+)+$',
    '\u202e',
    '\ufeff',
  ),
  fc.string({ unit: fc.constantFrom('a', ' ', '\u0000', '\ud800', '\udc00', '%', '{', '"', '\\', 'é', '𝔘', '\n'), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.integer({ min: 150, max: 2_000 }).map((n) => 'x'.repeat(n)),
);

/** JSON nested `depth` levels deep, as a value (bodies built from it go through JSON.stringify). */
const nested = (depth: number, leaf: unknown): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
};

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(0, -1, 1.5, -0, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 2 ** 63, 1e308, -1e308, null, true, false),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  fc.tuple(fc.integer({ min: 1, max: 60 }), hostileString).map(([d, leaf]) => nested(d, leaf)),
);

/**
 * Values for `schema`: mostly what it describes (so requests get past validation and reach the
 * database), near its bounds, or hostile. `known` offers real values for id patterns.
 */
export function valueFor(schema: Schema, known: (pattern: string) => string[] = () => []): fc.Arbitrary<unknown> {
  const valid = validFor(schema, known);
  const withNull = schema.nullable ? fc.oneof(valid, fc.constant(null)) : valid;
  return fc.oneof({ weight: 6, arbitrary: withNull }, { weight: 1, arbitrary: hostileValue });
}

function validFor(schema: Schema, known: (pattern: string) => string[]): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => validFor(s, known)));
  switch (schema.type) {
    case 'string': {
      const min = schema.minLength ?? 0;
      const max = Math.min(schema.maxLength ?? 300, 300);
      const options: fc.Arbitrary<string>[] = [fc.string({ unit: 'binary', minLength: min, maxLength: Math.max(min, max) })];
      if (schema.pattern) {
        options.push(fc.stringMatching(new RegExp(schema.pattern)));
        const real = known(schema.pattern);
        if (real.length > 0) options.push(fc.constantFrom(...real), fc.constantFrom(...real));
      }
      if (schema.maxLength !== undefined) options.push(fc.constantFrom('y'.repeat(schema.maxLength), 'y'.repeat(schema.maxLength + 1)));
      return fc.oneof(...options);
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? -1e6;
      const max = Math.min(schema.maximum ?? 1e6, Number.MAX_SAFE_INTEGER);
      return fc.oneof(fc.integer({ min: Math.max(min, -1e9), max: Math.min(max, min + 1e9) }), fc.constantFrom(min, max, min - 1, max + 1));
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items ? valueFor(schema.items, known) : fc.jsonValue(), { maxLength: 4 });
    case 'object': {
      if (!schema.properties) {
        // Free-form JSON (metadata): ordinary, hostile keys and values, or deep.
        return fc.oneof(
          fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
          fc.dictionary(hostileString, hostileValue, { maxKeys: 3 }),
        );
      }
      const props = Object.fromEntries(Object.entries(schema.properties).map(([k, s]) => [k, valueFor(s, known)]));
      const record = fc.record(props, { requiredKeys: (schema.required ?? []) as never[] });
      const anyKeys = fc.record(props, { requiredKeys: [] });
      // Sometimes required fields missing, or an unknown field, which strict schemas must refuse.
      return fc.oneof(
        { weight: 8, arbitrary: record },
        { weight: 1, arbitrary: anyKeys },
        { weight: 1, arbitrary: fc.tuple(record, hostileString).map(([r, k]) => ({ ...r, [k || 'extra']: 1 })) },
      );
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** %-encodes every byte of the string's UTF-8 (a lone surrogate becomes U+FFFD, as in any URL). */
export const encodeAll = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
