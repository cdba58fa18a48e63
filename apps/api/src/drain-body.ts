import type { IncomingMessage } from 'node:http';

/**
 * Reads and drops what is left of a request body, up to `limit` bytes. A 413 sent before the
 * body is read is followed by closing the connection, and a client still writing its body sees
 * EPIPE or a reset instead of the answer; draining first lets it finish and read the 413.
 * Resolves once the body ended, the limit was passed (the connection is then closed anyway) or
 * the client went away — there is nobody left to answer then, so that is not an error here.
 */
export function drainBody(req: IncomingMessage, limit: number): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      req.off('data', onData).off('end', finish).off('error', finish).off('close', finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) finish();
    };
    req.on('data', onData).on('end', finish).on('error', finish).on('close', finish);
    req.resume();
  });
}
