import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { schemaTypes } from '../scripts/schema-types.ts';

// The committed types are what openapi-typescript makes of the committed document (which
// apps/api/test/openapi-document.test.ts holds to the routes). `pnpm client:generate` redoes both.

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

it('src/schema.d.ts is generated from openapi.json as committed (run `pnpm client:generate`)', async () => {
  const regenerated = await schemaTypes(JSON.parse(read('../openapi.json')));
  expect(regenerated === read('../src/schema.d.ts'), 'src/schema.d.ts differs from a fresh generation').toBe(true);
});
