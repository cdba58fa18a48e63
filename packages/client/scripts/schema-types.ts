import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';

/** The TypeScript types of an OpenAPI document, as src/schema.d.ts holds them. */
export async function schemaTypes(document: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS(document as unknown as OpenAPI3, { alphabetize: true });
  return `${COMMENT_HEADER}${astToString(ast)}`;
}
