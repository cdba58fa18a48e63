import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ContentTooLargeError,
  GatewayTimeoutError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PaymentRequiredError,
  PermissionDeniedError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { ask, clientFor, post, useFakeAnthropic } from './harness.ts';

const server = useFakeAnthropic();

/** The error `promise` rejects with (or fails the test). */
async function rejection(promise: Promise<unknown>): Promise<APIError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(APIError);
  return outcome.error as APIError;
}

const scripted = [
  [400, BadRequestError, 'invalid_request_error'],
  [401, AuthenticationError, 'authentication_error'],
  [402, PaymentRequiredError, 'billing_error'],
  [403, PermissionDeniedError, 'permission_error'],
  [404, NotFoundError, 'not_found_error'],
  [413, ContentTooLargeError, 'request_too_large'],
  [429, RateLimitError, 'rate_limit_error'],
  [500, InternalServerError, 'api_error'],
  [504, GatewayTimeoutError, 'timeout_error'],
  [529, OverloadedError, 'overloaded_error'],
] as const;

describe('#fake error <status>', () => {
  it.each(scripted)('%i becomes the SDK error for that status, with the API error shape', async (status, errorClass, type) => {
    const err = await rejection(server.client.messages.create(ask(`#fake error ${status}`)));
    expect(err).toBeInstanceOf(errorClass);
    expect(err.status).toBe(status);
    expect(err.type).toBe(type);
    expect(err.error).toEqual({ type: 'error', error: { type, message: expect.any(String) } });
    expect(err.requestID).toMatch(/^req_01/);
  });

  it.each(scripted)('%i fails a streaming request before its first event', async (status, errorClass) => {
    const err = await rejection(server.client.messages.stream(ask(`#fake error ${status}`)).finalMessage());
    expect(err).toBeInstanceOf(errorClass);
    expect(err.status).toBe(status);
  });

  it('asks a rate-limited client to retry after a second', async () => {
    const err = await rejection(server.client.messages.create(ask('#fake error 429')));
    expect(err.headers?.get('retry-after')).toBe('1');
  });

  it('carries a scripted message', async () => {
    const err = await rejection(server.client.messages.create(ask('#fake error 500 the GPUs are on fire')));
    expect(err.apiMessage).toBe('the GPUs are on fire');
  });

  it('fails every attempt, so a retrying client sees its retries recorded', async () => {
    const retrying = clientFor(server.fake, { maxRetries: 1 });
    const err = await rejection(retrying.messages.create(ask('#fake error 529')));
    expect(err).toBeInstanceOf(OverloadedError);
    expect(server.fake.requests.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
  });
});

describe('invalid requests', () => {
  async function badRequest(body: string): Promise<string> {
    const res = await post(server.fake, '/v1/messages', body);
    expect(res.status).toBe(400);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    const json = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(json).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.any(String) } });
    return json.error.message;
  }
  const valid = ask('hi');

  it('rejects a body that is not JSON', async () => {
    expect(await badRequest('{"model": ')).toMatch(/not valid JSON/);
    expect(await badRequest('')).toMatch(/empty/);
  });

  it.each([
    ['a missing model', { ...valid, model: undefined }, 'model: Field required'],
    ['max_tokens of 0', { ...valid, max_tokens: 0 }, 'max_tokens: '],
    ['fractional max_tokens', { ...valid, max_tokens: 1.5 }, 'max_tokens: '],
    ['no messages', { ...valid, messages: [] }, 'messages: at least one message is required'],
    ['an unknown role', { ...valid, messages: [{ role: 'robot', content: 'hi' }] }, 'messages.0.role: '],
    [
      'content of the wrong type',
      { ...valid, messages: [{ role: 'user', content: 42 }] },
      'messages.0.content: Invalid input: expected string or array',
    ],
    [
      'a text block without text',
      { ...valid, messages: [{ role: 'user', content: [{ type: 'text' }] }] },
      'messages.0.content.0.text: Field required',
    ],
    ['an unknown block type', { ...valid, messages: [{ role: 'user', content: [{ type: 'telepathy' }] }] }, 'messages.0.content.0.type: '],
    [
      'a tool_result without its tool_use_id',
      { ...valid, messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] },
      'messages.0.content.0.tool_use_id: Field required',
    ],
    ['a system prompt of the wrong type', { ...valid, system: 7 }, 'system: '],
    ['stream that is not a boolean', { ...valid, stream: 'yes' }, 'stream: '],
  ])('names the field for %s', async (_, body, message) => {
    expect(await badRequest(JSON.stringify(body))).toContain(message);
  });

  it('rejects a directive it does not understand, naming the line', async () => {
    const err = await rejection(server.client.messages.create(ask('#fake dance 3')));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.apiMessage).toContain('"#fake dance 3": unknown directive "dance"');
    const badStatus = await rejection(server.client.messages.create(ask('#fake error 418')));
    expect(badStatus.apiMessage).toContain('expected one of the statuses 400, 401');
  });
});

describe('unknown paths', () => {
  it('answer 404 not_found_error', async () => {
    const err = await rejection(server.client.models.list());
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.type).toBe('not_found_error');
    const res = await fetch(`${server.fake.url}/v1/nothing`, { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('include GET on the messages path', async () => {
    const res = await fetch(`${server.fake.url}/v1/messages`);
    expect(res.status).toBe(404);
  });
});
