import { AppError, type ProblemKind, problemKinds, problemType } from '@warren/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { drainBody } from '../drain-body.ts';
import { shownUrl } from '../request-url.ts';

const kindByStatus: Record<number, ProblemKind> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
  503: 'unavailable',
};

/** How much of an oversize body is read and dropped before the 413 goes out (see drainBody). */
const DRAIN_LIMIT_BYTES = 4 * 1024 * 1024;

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
    .send({ type: problemType(kind), title: problemKinds[kind].title, status, detail, instance: shownUrl(request.url), ...extra });
}

/**
 * Fastify's `frameworkErrors`: the router refused the URL (bad %-encoding, a parameter over
 * maxParamLength) before any route or hook ran.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendProblem(reply, request, 'uri_too_long', 'a path segment is too long');
  if (err.code === 'FST_ERR_BAD_URL') return sendProblem(reply, request, 'malformed_request', 'the URL is not validly %-encoded');
  request.log.error({ err }, 'unexpected framework error');
  return sendProblem(reply, request, 'internal', 'an unexpected error occurred');
}

/** Every error leaves as RFC 9457 problem+json; only unexpected ones are 5xx and logged as errors. */
export const problems = fp(async (app: FastifyInstance) => {
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    if (err instanceof AppError) return sendProblem(reply, request, err.kind, err.message, err.extra);
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = err.validation.map((v) => ({
        in: err.validationContext ?? 'request',
        path: v.instancePath.split('/').filter(Boolean).join('.') || '(root)',
        message: v.message,
      }));
      return sendProblem(reply, request, 'validation', `invalid ${err.validationContext ?? 'request'}`, { errors });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') await drainBody(request.raw, DRAIN_LIMIT_BYTES);
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
