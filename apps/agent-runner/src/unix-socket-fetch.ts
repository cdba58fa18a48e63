import { request } from 'node:http';
import { Readable } from 'node:stream';

const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * A `fetch` that sends every request to one unix socket, whatever the URL's host: what the SDK
 * needs to reach the credential proxy. Node's own fetch cannot dial a socket, and undici's
 * Agent would triple the runner's size (and its cold start) for this one use.
 */
export function unixSocketFetch(socketPath: string): typeof fetch {
  return async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    return new Promise<Response>((resolve, reject) => {
      const outgoing = request(
        {
          socketPath,
          method: req.method,
          path: `${url.pathname}${url.search}`,
          headers: Object.fromEntries(req.headers),
          signal: req.signal,
        },
        (res) => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
          }
          const status = res.statusCode ?? 502;
          const stream = NO_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          if (!stream) res.resume();
          resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers }));
        },
      );
      outgoing.once('error', reject);
      outgoing.end(body);
    });
  };
}
