// pnpm client:generate (step 2) — openapi.json (written by apps/api/scripts/write-openapi.ts)
// to src/schema.d.ts. test/schema.test.ts fails when the committed types and the document disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { schemaTypes } from './schema-types.ts';

const document = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));
const target = new URL('../src/schema.d.ts', import.meta.url);
writeFileSync(target, await schemaTypes(document));
console.log(`wrote ${target.pathname}`);
