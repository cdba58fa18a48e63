import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ProblemKind, problemKinds, problemType } from '@warren/core';
import type { FastifyInstance } from 'fastify';

/** A whole HTTP/1.1 response carrying a problem document, for sockets that never reach Fastify. */
function rawProblem(kind: ProblemKind, detail: string): string {
  const { status, title } = problemKinds[kind];
  const body = JSON.stringify({ type: problemType(kind), title, status, detail });
  return (
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

function answerAndClose(socket: Duplex, kind: ProblemKind, detail: string) {
  if (socket.writable) socket.end(rawProblem(kind, detail), () => socket.destroy());
  else socket.destroy();
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the request (bad syntax, headers too
 * large, too slow) before any route saw it. Answered as problem+json like every other error.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex) {
  // A reset connection has nobody to answer (Node's own handler does the same).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.debug({ err }, 'HTTP client error');
  if (err.code === 'HPE_HEADER_OVERFLOW') answerAndClose(socket, 'headers_too_large', 'the request line and headers exceed the size limit');
  else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') answerAndClose(socket, 'request_timeout', 'the request did not arrive in time');
  else answerAndClose(socket, 'malformed_request', 'the request is not valid HTTP/1.1');
}

/** Node closes CONNECT requests without a word unless someone listens; Warren is no proxy. */
export function refuseConnect(_req: IncomingMessage, socket: Duplex) {
  answerAndClose(socket, 'method_not_allowed', 'CONNECT is not supported');
}
