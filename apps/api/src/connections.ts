import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Closes, when the API stops, the connections that have no request in flight. Node's
 * `server.close()` ends idle keep-alive connections, but not one that never sent a request
 * (a client's pre-opened or pooled connection, e.g. one a fetch aborted before its request went
 * out): the close waited for such a client to hang up — ~70 s for a client honouring the
 * Keep-Alive hint. Connections with a request in flight are left to finish; Node closes them
 * after their response. Call `closeQuiet()` once the event streams have ended.
 */
export function trackConnections(server: Server): { closeQuiet(): void } {
  const inFlight = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      if (inFlight.has(socket)) inFlight.set(socket, inFlight.get(socket)! - 1);
    });
  });
  return {
    closeQuiet() {
      for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
    },
  };
}
