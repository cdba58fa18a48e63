import type { ServerResponse } from 'node:http';
import { sendError, sendJson, wait } from './http.ts';
import { newMessageId } from './ids.ts';
import { completeMessage } from './message.ts';
import { planReply } from './reply.ts';
import { countTokensBody, createMessageBody } from './request-schema.ts';
import { streamReply } from './sse.ts';
import { inputChars, tokensFor } from './usage.ts';
import { parseRequestBody } from './validation.ts';

export interface RouteContext {
  body: unknown;
  res: ServerResponse;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export type Route = (ctx: RouteContext) => Promise<void>;

/** `POST /v1/messages`: a JSON message, or Server-Sent Events with `stream: true`. */
const createMessage: Route = async ({ body, res, signal }) => {
  const request = parseRequestBody(createMessageBody, body);
  const reply = planReply(request);
  if (!(await wait(reply.delayMs, signal))) return;
  const id = newMessageId();
  if (request.stream) {
    if (reply.failure && !reply.failure.midStream) return sendError(res, reply.failure.error);
    return streamReply(res, signal, id, request.model, reply);
  }
  if (reply.failure) return sendError(res, reply.failure.error);
  sendJson(res, 200, completeMessage(id, request.model, reply));
};

/** `POST /v1/messages/count_tokens`: the input_tokens a create with the same body would report. */
const countTokens: Route = async ({ body, res }) => {
  const request = parseRequestBody(countTokensBody, body);
  sendJson(res, 200, { input_tokens: tokensFor(inputChars(request)) });
};

export const routes: Record<string, Route> = {
  'POST /v1/messages': createMessage,
  'POST /v1/messages/count_tokens': countTokens,
};
