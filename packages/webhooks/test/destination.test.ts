import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDestination, refusedAddress } from '../src/destination.ts';
import { sendAttempt } from '../src/send-attempt.ts';

describe('refusedAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedAddress(address)).toContain(range);
  });

  it.each(['93.184.215.14', '2606:4700::1111', '::ffff:8.8.8.8'])('accepts the public address %s', (address) => {
    expect(refusedAddress(address)).toBeNull();
  });
});

describe('checkDestination', () => {
  const refused = (url: string, allowPrivate = false) => checkDestination(new URL(url), { allowPrivate });

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'http://[::1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://0x7f.1/',
    'ftp://example.com/',
    'https://user:secret@example.com/',
  ])('refuses %s', async (url) => {
    await expect(refused(url)).rejects.toMatchObject({ kind: 'destination_refused' });
  });

  it('lets the operator allow private destinations, never credentials in the URL', async () => {
    await expect(refused('http://127.0.0.1:8080/', true)).resolves.toBeUndefined();
    await expect(refused('http://u:p@127.0.0.1/', true)).rejects.toMatchObject({ kind: 'destination_refused' });
  });
});

describe('sendAttempt', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  let answer: (res: import('node:http').ServerResponse) => void = (res) => res.end('ok');

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      req.resume();
      answer(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = (url: string, allowPrivate: boolean, timeoutMs = 5_000) =>
    sendAttempt(url, { 'webhook-id': 'dlv_x' }, '{}', { timeoutMs, destinations: { allowPrivate } });

  it('never connects to a refused address, whether named by IP or by a name that resolves to it', async () => {
    const before = hits;
    const byIp = await send(`http://127.0.0.1:${port}/`, false);
    const byName = await send(`http://localhost:${port}/`, false);
    expect(byIp).toMatchObject({ error: expect.stringContaining('destination refused') });
    expect(byName).toMatchObject({ error: expect.stringContaining('destination refused: localhost resolves to') });
    expect(byIp.statusCode).toBeUndefined();
    expect(hits).toBe(before);
  });

  it('records the status and the first KiB of the answer; a redirect is not followed', async () => {
    answer = (res) => res.end('x'.repeat(5000));
    const ok = await send(`http://127.0.0.1:${port}/`, true);
    expect(ok).toMatchObject({ statusCode: 200 });
    expect(ok.responseBody).toHaveLength(1024);
    answer = (res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/' });
      res.end();
    };
    const before = hits;
    expect(await send(`http://127.0.0.1:${port}/`, true)).toMatchObject({ statusCode: 302, error: 'answered 302' });
    expect(hits).toBe(before + 1);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    answer = () => {}; // never answers
    expect(await send(`http://127.0.0.1:${port}/`, true, 300)).toMatchObject({ error: 'timed out after 300 ms' });
  });
});
