import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStreamError, type ServerSentEvent, SseParser, streamEvents } from '../src/index.ts';

// A small real SSE server with durable ids 1..TOTAL: each connection starts after the client's
// Last-Event-ID, sends a few events and then drops the connection, as a proxy or a deploy would.

const TOTAL = 25;
let server: Server;
let base: string;
const seen: Array<{ url: string; lastEventId: string | undefined; auth: string | undefined }> = [];
/** Streams whose client is still connected. */
let open = 0;

function eventsFrom(request: IncomingMessage) {
  const after = Number(request.headers['last-event-id'] ?? 0);
  return Array.from({ length: TOTAL - after }, (_, i) => after + i + 1);
}

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({
      url: request.url!,
      lastEventId: request.headers['last-event-id'] as string | undefined,
      auth: request.headers.authorization,
    });
    if (request.url === '/refused') {
      response.writeHead(404, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ type: 'urn:warren:problem:not-found', status: 404, detail: 'conversation not found' }));
      return;
    }
    if (request.url === '/live') {
      // durable events with ids, live-only ones (Warren's message.delta) without: a reconnection resumes from the last id
      const after = request.headers['last-event-id'];
      if (after === '2') return void response.writeHead(204).end();
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      if (after === undefined) response.write('id: 1\nevent: message.created\ndata: one\n\nevent: message.delta\ndata: a\n\n');
      else response.write('event: message.delta\ndata: b\n\nid: 2\nevent: message.created\ndata: two\n\n');
      response.end();
      return;
    }
    if (request.url === '/held') {
      // one event, then the connection stays open until the client goes
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      open++;
      response.once('close', () => open--);
      response.write('id: 1\ndata: only\n\n');
      return;
    }
    const ids = eventsFrom(request);
    if (ids.length === 0) {
      response.writeHead(204).end(); // caught up and finished: do not reconnect
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    open++;
    response.once('close', () => open--);
    response.write('retry: 10\n: a comment line\n\n');
    // Four events per connection, written in awkward pieces (split lines, CRLF, multi-line data).
    const text = ids
      .slice(0, 4)
      .map((id) => `id: ${id}\r\nevent: message.created\r\ndata: {"seq":${id},\r\ndata: "text":"m${id}"}\r\n\r\n`)
      .join('');
    let at = 0;
    const pieces = [7, 1, 30, 2];
    const writeNext = (): void => {
      if (response.destroyed) return;
      if (at >= text.length) {
        response.destroy(); // cut without a clean end
        return;
      }
      const size = pieces[at % pieces.length]!;
      response.write(text.slice(at, at + size));
      at += size;
      setImmediate(writeNext);
    };
    writeNext();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('streamEvents', () => {
  it('reads every event once across dropped connections, resuming with Last-Event-ID', async () => {
    seen.length = 0;
    const events: ServerSentEvent[] = [];
    const disconnects: string[] = [];
    for await (const event of streamEvents({
      url: `${base}/v1/events`,
      apiKey: 'wrn_test',
      onDisconnect: ({ lastEventId }) => disconnects.push(lastEventId),
    })) {
      events.push(event);
    }
    expect(events.map((e) => JSON.parse(e.data).seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    expect(events[0]).toEqual({ event: 'message.created', data: '{"seq":1,\n"text":"m1"}', lastEventId: '1' });
    // 7 connections of 4 events (the last has 1), then the 204 that ends the stream
    expect(seen.map((s) => s.lastEventId)).toEqual([undefined, '4', '8', '12', '16', '20', '24', '25']);
    expect(disconnects).toEqual(['4', '8', '12', '16', '20', '24', '25']);
    expect(seen.every((s) => s.auth === 'Bearer wrn_test')).toBe(true);
  });

  it('starts after a saved lastEventId and stops when its signal aborts', async () => {
    const stop = new AbortController();
    const events: string[] = [];
    for await (const event of streamEvents({ url: `${base}/v1/events`, lastEventId: '20', signal: stop.signal })) {
      events.push(event.lastEventId);
      if (events.length === 3) stop.abort();
    }
    expect(events).toEqual(['21', '22', '23']);
  });

  it('events without an id keep the last durable one, which the reconnection resumes from', async () => {
    seen.length = 0;
    const events: Array<Pick<ServerSentEvent, 'event' | 'data' | 'lastEventId'>> = [];
    for await (const { event, data, lastEventId } of streamEvents({ url: `${base}/live`, retryMs: 10 }))
      events.push({ event, data, lastEventId });
    expect(events).toEqual([
      { event: 'message.created', data: 'one', lastEventId: '1' },
      { event: 'message.delta', data: 'a', lastEventId: '1' },
      { event: 'message.delta', data: 'b', lastEventId: '1' },
      { event: 'message.created', data: 'two', lastEventId: '2' },
    ]);
    expect(seen.map((s) => s.lastEventId)).toEqual([undefined, '1', '2']);
  });

  it('a loop that breaks leaves no request open', async () => {
    for await (const event of streamEvents({ url: `${base}/held` })) {
      expect(event.data).toBe('only');
      expect(open).toBe(1);
      break;
    }
    await expect.poll(() => open).toBe(0);
  });

  it('throws the problem of a refusal instead of retrying', async () => {
    const refused = streamEvents({ url: `${base}/refused` }).next();
    await expect(refused).rejects.toBeInstanceOf(EventStreamError);
    await expect(refused).rejects.toMatchObject({ status: 404, body: { detail: 'conversation not found' } });
  });
});

describe('SseParser', () => {
  it('follows the wire format: BOM, CR/LF/CRLF, comments, default type, id kept, retry digits only', () => {
    const p = new SseParser();
    const events = [
      ...p.push('\uFEFFdata: a\r'),
      ...p.push('\ndata:b\n\n: note\nid: 7\nretry: x\nevent: e\ndata\n\r'),
      ...p.push('data: c\nid: bad\u0000\n\n'),
    ];
    expect(events).toEqual([
      { event: 'message', data: 'a\nb', lastEventId: '' },
      { event: 'e', data: '', lastEventId: '7' },
      { event: 'message', data: 'c', lastEventId: '7' },
    ]);
    expect(p.retryMs).toBeUndefined();
    p.push('retry: 250\n');
    expect(p.retryMs).toBe(250);
  });
});
