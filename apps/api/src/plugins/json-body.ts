import { parseClientJson } from '@warren/core';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Replaces Fastify's JSON body parser with one that bounds nesting first (see parseClientJson).
 * Size is bounded before this by the body limit.
 */
export const jsonBody = fp(async (app: FastifyInstance) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseClientJson(body as string));
    } catch (err) {
      done(err as Error);
    }
  });
});
