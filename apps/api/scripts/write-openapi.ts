// pnpm client:generate (step 1) — writes the API's OpenAPI document to packages/client/openapi.json,
// from which packages/client generates its types. apps/api/test/openapi-document.test.ts fails
// when the committed file and the routes disagree.
import { writeFileSync } from 'node:fs';
import { openApiDocumentText } from '../src/openapi-document.ts';

const target = new URL('../../../packages/client/openapi.json', import.meta.url);
writeFileSync(target, await openApiDocumentText());
console.log(`wrote ${target.pathname}`);
