import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { openApiDocumentText } from '../src/openapi-document.ts';

// packages/client is generated from the committed document: a route whose schema changed
// without `pnpm client:generate` would leave the client's types describing another API.

it('packages/client/openapi.json is the document the routes make (run `pnpm client:generate`)', async () => {
  const committed = readFileSync(new URL('../../../packages/client/openapi.json', import.meta.url), 'utf8');
  const built = await openApiDocumentText();
  expect(built === committed, 'packages/client/openapi.json differs from the routes').toBe(true);
  expect(JSON.parse(built).paths['/hooks/{hookId}']).toBeDefined();
});
