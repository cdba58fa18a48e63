import { z } from 'zod';
import { problemSchema } from './schemas.ts';

const problemJson = z.toJSONSchema(problemSchema, { target: 'openapi-3.0', io: 'output' });

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemJson } },
});

type SwaggerRoute = { schema: object; url: string };

/**
 * Adds the error answers every route can give to its OpenAPI entry (documentation only; the
 * problems plugin sends them), so the document, and a client made from it, types error bodies.
 */
export function withProblemResponses<T extends SwaggerRoute>(route: T): T {
  const schema = route.schema as { hide?: boolean; response?: Record<string, unknown> };
  if (schema.hide) return route;
  const response = schema.response ?? {};
  return {
    ...route,
    schema: {
      ...route.schema,
      response: {
        ...response,
        '4XX': problemResponse('A client error, as RFC 9457 problem details'),
        '5XX': problemResponse('A server error, as RFC 9457 problem details'),
      },
    },
  };
}
