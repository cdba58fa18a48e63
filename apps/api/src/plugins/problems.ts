import { AppError, problemKinds, problemType, type ProblemKind } from '@warren/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

const kindByStatus: Record<number, ProblemKind> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  kind: ProblemKind,
  detail: string,
  extra: Record<string, unknown> = {},
  status: number = problemKinds[kind].status,
) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: problemType(kind), title: problemKinds[kind].title, status, detail, instance: request.url, ...extra });
}

/** Every error leaves as RFC 9457 problem+json; only unexpected ones are 5xx and logged as errors. */
export const problems = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) return sendProblem(reply, request, err.kind, err.message, err.extra);
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = err.validation.map((v) => ({
        in: err.validationContext ?? 'request',
        path: v.instancePath.split('/').filter(Boolean).join('.') || '(root)',
        message: v.message,
      }));
      return sendProblem(reply, request, 'validation', `invalid ${err.validationContext ?? 'request'}`, { errors });
    }
    const status = err.statusCode ?? 500;
    if (status < 500 || status === 503) {
      const kind = kindByStatus[status] ?? 'validation';
      return sendProblem(reply, request, kind, err.message, {}, status);
    }
    request.log.error({ err }, 'unhandled error');
    return sendProblem(reply, request, 'internal', 'an unexpected error occurred');
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, 'not_found', `no route for ${request.method} ${request.url.split('?')[0]}`),
  );
});
