/**
 * A request's URL as Warren shows it in logs and problem documents: the path alone. Query
 * strings can carry secrets (a key sent as `?api_key=` is refused, but it must not be logged).
 */
export function shownUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}

/** pino's `req` serializer for the API's request logs. */
export function requestLogFields(req: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
  return { method: req.method, url: shownUrl(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}
