import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import type { Logger } from '@warren/core';
import { checkServerVersion, createPool, retryWhileUnreachable } from '@warren/db';
import { createCredentialProxy, TenantPolicies, UsageMeter } from '@warren/proxy';
import type { ProxyConfig } from './config.ts';

export interface RunningProxy {
  socketPath: string;
  tcpPort: number | undefined;
  meter: UsageMeter;
  close(): Promise<void>;
}

const listen = (server: Server, ...args: [string] | [number, string]) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(...(args as [string]), () => resolve());
  });

/** Wires the proxy's parts, listens on its unix socket (and TCP when asked), and stops them in order. */
export async function startProxy(config: ProxyConfig, logger: Logger): Promise<RunningProxy> {
  // two short tenant transactions per model call (is the turn running; the turn's usage)
  const pool = createPool(config.DATABASE_URL, { max: 10, applicationName: 'warren-credential-proxy', logger });
  // Started while Postgres is down, the proxy waits for it; afterwards its pool reconnects by itself.
  await retryWhileUnreachable(() => checkServerVersion(pool), logger, 'server version checked');
  const meter = new UsageMeter(pool, logger, config.USAGE_FLUSH_MS);
  const policies = new TenantPolicies({
    pool,
    keyPair:
      config.PROXY_PUBLIC_KEY && config.PROXY_SECRET_KEY
        ? { publicKey: config.PROXY_PUBLIC_KEY, secretKey: config.PROXY_SECRET_KEY }
        : undefined,
    ttlMs: config.TENANT_CACHE_MS,
    logger,
    flushed: (tenantId) => meter.flushedBy(tenantId),
  });
  await policies.listen();
  const proxy = createCredentialProxy({
    tokenSecret: config.PROXY_TOKEN_SECRET,
    upstream: config.ANTHROPIC_UPSTREAM,
    platformKey: config.ANTHROPIC_API_KEY ?? null,
    defaults: {
      monthlyTokenBudget: config.DEFAULT_MONTHLY_TOKEN_BUDGET ?? null,
      requestsPerMinute: config.DEFAULT_REQUESTS_PER_MINUTE ?? null,
    },
    bodyLimitBytes: config.PROXY_BODY_LIMIT_BYTES,
    pool,
    policies,
    meter,
    logger,
  });

  const servers: Server[] = [createServer(proxy.handle)];
  // Sandboxes bind the socket's directory (so a restart's new socket reaches warm ones): made
  // here, kept across restarts, and reachable by the sandbox user.
  mkdirSync(dirname(config.PROXY_SOCKET_PATH), { recursive: true, mode: 0o755 });
  rmSync(config.PROXY_SOCKET_PATH, { force: true }); // a socket left by a crashed run
  await listen(servers[0]!, config.PROXY_SOCKET_PATH);
  // Sandboxes run as an unprivileged user; the token, not the file mode, is the credential.
  chmodSync(config.PROXY_SOCKET_PATH, 0o666);
  if (config.PROXY_TCP_PORT) {
    servers.push(createServer(proxy.handle));
    await listen(servers[1]!, config.PROXY_TCP_PORT, config.PROXY_TCP_HOST);
  }
  logger.info(
    { socket: config.PROXY_SOCKET_PATH, tcpPort: config.PROXY_TCP_PORT, upstream: config.ANTHROPIC_UPSTREAM },
    'credential proxy listening',
  );

  return {
    socketPath: config.PROXY_SOCKET_PATH,
    tcpPort: config.PROXY_TCP_PORT,
    meter,
    async close() {
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      await proxy.close();
      await meter.close();
      await policies.close();
      await pool.end();
    },
  };
}
