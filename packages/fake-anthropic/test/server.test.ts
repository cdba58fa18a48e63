import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APIConnectionError, AuthenticationError } from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../src/index.ts';
import { apiKey, ask, clientFor, post } from './harness.ts';

describe('startFakeAnthropic', () => {
  it('listens on an ephemeral port of 127.0.0.1 by default', async () => {
    const fake = await startFakeAnthropic();
    try {
      expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(fake.socketPath).toBeUndefined();
    } finally {
      await fake.close();
    }
  });

  it('listens on a Unix socket when given one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-anthropic-'));
    const socketPath = join(dir, 'api.sock');
    const fake = await startFakeAnthropic({ socketPath });
    try {
      expect(fake).toMatchObject({ url: 'http://localhost', socketPath });
      const body = JSON.stringify(ask('over a socket'));
      const answer = await new Promise<string>((resolve, reject) => {
        const req = request(
          { socketPath, path: '/v1/messages', method: 'POST', headers: { 'x-api-key': 'k', 'content-type': 'application/json' } },
          (res) => {
            let text = '';
            res
              .setEncoding('utf8')
              .on('data', (chunk: string) => (text += chunk))
              .on('end', () => resolve(text));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(JSON.parse(answer)).toMatchObject({ content: [{ text: 'echo: over a socket' }] });
    } finally {
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('cuts in-flight requests on close', async () => {
    const fake = await startFakeAnthropic();
    const pending = clientFor(fake).messages.create(ask('#fake sleep 60000'));
    const failed = pending.then(
      () => 'answered',
      (err: unknown) => err,
    );
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await fake.close();
    expect(await failed).toBeInstanceOf(APIConnectionError);
    await fake.close(); // closing twice is harmless
  });
});

describe('authentication', () => {
  it('accepts any non-empty key, as x-api-key or as the bearer token SDK 1.x sends', async () => {
    const fake = await startFakeAnthropic();
    try {
      await expect(clientFor(fake, { apiKey: 'anything' }).messages.create(ask('hi'))).resolves.toMatchObject({ type: 'message' });
      expect(fake.requests[0]?.headers.authorization).toBe('Bearer anything');
      expect((await post(fake, '/v1/messages', JSON.stringify(ask('hi')), { 'x-api-key': 'other' })).status).toBe(200);
    } finally {
      await fake.close();
    }
  });

  it('answers 401 authentication_error without a key', async () => {
    const fake = await startFakeAnthropic();
    try {
      const res = await fetch(`${fake.url}/v1/messages`, { method: 'POST', body: JSON.stringify(ask('hi')) });
      expect(res.status).toBe(401);
      expect(res.headers.get('request-id')).toMatch(/^req_/);
      expect(await res.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } });
    } finally {
      await fake.close();
    }
  });

  it('accepts only the configured key when one is set', async () => {
    const fake = await startFakeAnthropic({ apiKey });
    try {
      const err = await clientFor(fake, { apiKey: 'wrong' })
        .messages.create(ask('hi'))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err).toMatchObject({ status: 401, type: 'authentication_error' });
      expect((await post(fake, '/v1/messages', JSON.stringify(ask('hi')), { 'x-api-key': 'wrong' })).status).toBe(401);

      await expect(clientFor(fake).messages.create(ask('hi'))).resolves.toMatchObject({ type: 'message' });
      expect((await post(fake, '/v1/messages', JSON.stringify(ask('hi')), { 'x-api-key': apiKey })).status).toBe(200);
    } finally {
      await fake.close();
    }
  });
});

describe('recorded requests', () => {
  it('keeps method, path, lower-case headers and the parsed body of every request, until reset', async () => {
    const fake = await startFakeAnthropic();
    try {
      const params = { ...ask('record me'), system: 'be brief', metadata: { user_id: 'u-1' } };
      await clientFor(fake).messages.create(params, { headers: { 'X-Custom-Header': 'Yes' } });
      await fetch(`${fake.url}/v1/unknown?x=1`, { method: 'PUT', body: 'not json' });

      expect(fake.requests).toHaveLength(2);
      const [sdk, raw] = fake.requests;
      expect(sdk).toMatchObject({ method: 'POST', path: '/v1/messages', body: params });
      expect(sdk?.headers).toMatchObject({
        'x-custom-header': 'Yes',
        'content-type': 'application/json',
        authorization: `Bearer ${apiKey}`,
        'anthropic-version': expect.any(String),
      });
      expect(Object.keys(sdk?.headers ?? {}).every((name) => name === name.toLowerCase())).toBe(true);
      expect(raw).toMatchObject({ method: 'PUT', path: '/v1/unknown?x=1', body: 'not json' });

      fake.reset();
      expect(fake.requests).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});

describe('#fake sleep <ms>', () => {
  it('delays a JSON answer by at least that long', async () => {
    const fake = await startFakeAnthropic();
    try {
      const started = performance.now();
      const message = await clientFor(fake).messages.create(ask('slow one\n#fake sleep 300'));
      expect(performance.now() - started).toBeGreaterThanOrEqual(300);
      expect(message.content).toMatchObject([{ type: 'text', text: 'echo: slow one' }]);
    } finally {
      await fake.close();
    }
  });

  it('delays the first stream event by at least that long', async () => {
    const fake = await startFakeAnthropic();
    try {
      const started = performance.now();
      const stream = await clientFor(fake).messages.create({ ...ask('#fake sleep 300\n#fake text late'), stream: true });
      for await (const event of stream) {
        expect(event.type).toBe('message_start');
        break;
      }
      expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    } finally {
      await fake.close();
    }
  });
});
