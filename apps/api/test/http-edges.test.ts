import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '@warren/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from './harness.ts';

// Errors that happen before a route runs — in the router, in Node's HTTP parser, or while a body
// is still arriving — are problem+json like the rest, over a real socket; and request logs
// never carry query strings.

let h: ApiHarness;
let t: { id: string; key: string };
let port: number;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  h = await startApiHarness({ BODY_LIMIT_BYTES: 64 * 1024, logger: createLogger('api-test', { level: 'info' }, sink) });
  t = await h.tenant();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  port = (h.app.server.address() as AddressInfo).port;
});
afterAll(() => h.close());

/**
 * Writes `request` on a fresh connection, piece after piece as the socket takes them (as a
 * streaming client does); resolves with everything the server sent, rejects on EPIPE or a reset.
 */
function rawExchange(...pieces: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    const writeFrom = (i: number) => {
      if (i < pieces.length && !socket.destroyed) socket.write(pieces[i]!, () => writeFrom(i + 1));
    };
    writeFrom(0);
  });
}

function parseResponse(raw: string) {
  const [head = '', body = ''] = raw.split('\r\n\r\n', 2);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /\r\ncontent-type: ([^\r]+)/i.exec(head)?.[1];
  return { status, contentType, problem: JSON.parse(body) as { type: string; status: number } };
}

const expectProblem = (raw: string, status: number, type: string) => {
  const res = parseResponse(raw);
  expect(res.status, raw.slice(0, 300)).toBe(status);
  expect(res.contentType).toMatch(/^application\/problem\+json/);
  expect(res.problem).toMatchObject({ status, type: `urn:warren:problem:${type}` });
};

describe('HTTP parser errors', () => {
  it('a request that is not HTTP → 400', async () => {
    expectProblem(await rawExchange('GARBAGE\r\n\r\n'), 400, 'malformed-request');
  });

  it('headers over the size limit → 431', async () => {
    expectProblem(await rawExchange(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 'headers-too-large');
  });

  it('CONNECT → 405 instead of a silent close', async () => {
    expectProblem(await rawExchange('CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n'), 405, 'method-not-allowed');
  });
});

describe('router errors', () => {
  it('bad %-encoding → 400', async () => {
    expectProblem(
      await rawExchange('GET /v1/conversations/%E0%A4%A HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'),
      400,
      'malformed-request',
    );
  });

  it('a path parameter over the router limit → 414', async () => {
    expectProblem(
      await rawExchange(`GET /v1/conversations/${'c'.repeat(500)} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`),
      414,
      'uri-too-long',
    );
  });
});

describe('an oversize body', () => {
  it('(1 MB, sent without waiting for an answer) gets its 413, not EPIPE', async () => {
    const piece = 'x'.repeat(64 * 1024);
    const pieces = Array.from({ length: 16 }, () => piece);
    const raw = await rawExchange(
      `POST /v1/conversations/conv_01h2xcejqtf2nbrexx3vqjhp41/messages HTTP/1.1\r\nhost: x\r\n` +
        `authorization: Bearer ${t.key}\r\ncontent-type: application/json\r\ncontent-length: ${16 * piece.length}\r\n\r\n`,
      ...pieces,
    );
    expectProblem(raw, 413, 'payload-too-large');
  });
});

describe('request logs', () => {
  it('leave out query strings, where a key may have been sent', async () => {
    const secret = 'wrn_sent-in-the-query-string-by-mistake';
    const res = await h.app.inject({ method: 'GET', url: `/v1/conversations?api_key=${secret}` });
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain(secret);
    const logged = logLines.join('');
    expect(logged).toContain('/v1/conversations?[redacted]');
    expect(logged).not.toContain(secret);
  });
});
