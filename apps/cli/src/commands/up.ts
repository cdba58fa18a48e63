import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canReach, parseEnv } from '@warren/core';
import { generateProxyKeyPair, generateSecretBoxKey } from '@warren/credentials';
import { controlDb, createPool, type EmbeddedPostgresHandle, ensureAppDatabase, startEmbeddedPostgres } from '@warren/db';
import { sandboxUser } from '@warren/sandbox';
import { listTenants, provisionTenant } from '@warren/tenancy';
import { z } from 'zod';
import { parseFlags } from '../args.ts';
import { localPlaces } from '../local-places.ts';
import { cliLogger } from '../log.ts';
import { runMigrations } from './migrate.ts';

export const upUsage = `warren up
  The whole system on one machine: embedded Postgres (unless DATABASE_URL is set), migrations,
  a demo tenant on first start, the credential proxy, the local fake Messages API (unless
  ANTHROPIC_API_KEY is set), a worker and the API. Ctrl-C stops everything; data stays in
  WARREN_DATA_DIR for the next start.`;

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

const envSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  WARREN_DATA_DIR: z.string().default(join(repoRoot, '.data')),
  PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** With a real key, model calls go to the real API; without, to the local fake. */
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  FAKE_ANTHROPIC_PORT: z.coerce.number().int().min(1).max(65535).default(4100),
});

/** Secrets of this local installation, made on first start and reused after. */
const localStateSchema = z.object({
  superuserPassword: z.string(),
  appPassword: z.string(),
  opsToken: z.string(),
  proxyTokenSecret: z.string(),
  proxyPublicKey: z.string(),
  proxySecretKey: z.string(),
  hookSecretKey: z.string(),
  demoTenantId: z.string().optional(),
  demoApiKey: z.string().optional(),
});
type LocalState = z.infer<typeof localStateSchema>;

async function loadLocalState(dataDir: string): Promise<LocalState> {
  const file = join(dataDir, 'local.json');
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalState>) : {};
  const secret = () => randomBytes(24).toString('base64url');
  const pair = saved.proxyPublicKey ? undefined : await generateProxyKeyPair();
  // Secrets added by newer versions are made for installations that predate them.
  const state = localStateSchema.parse({
    superuserPassword: secret(),
    appPassword: secret(),
    opsToken: secret(),
    proxyTokenSecret: randomBytes(32).toString('base64url'),
    proxyPublicKey: pair?.publicKey,
    proxySecretKey: pair?.secretKey,
    hookSecretKey: saved.hookSecretKey ?? (await generateSecretBoxKey()),
    ...saved,
  });
  saveLocalState(dataDir, state);
  return state;
}

function saveLocalState(dataDir: string, state: LocalState) {
  writeFileSync(join(dataDir, 'local.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export async function upCommand(argv: string[]): Promise<number> {
  parseFlags(argv, {}, z.object({}));
  const env = parseEnv(envSchema);
  mkdirSync(env.WARREN_DATA_DIR, { recursive: true, mode: 0o755 });
  const state = await loadLocalState(env.WARREN_DATA_DIR);
  const say = (line: string) => process.stdout.write(`[warren] ${line}\n`);
  const places = localPlaces(env.WARREN_DATA_DIR);
  if (places.movedTo) {
    say(`${env.WARREN_DATA_DIR} is closed to the postgres and sandbox users: their folders are in ${places.movedTo}`);
  }
  // The sandboxes run the runner with this Node, as the sandbox user.
  if (process.getuid?.() === 0 && !canReach(process.execPath, sandboxUser, { read: true })) {
    say(
      `${process.execPath} is in a folder the sandbox user (uid ${sandboxUser.uid}) cannot reach: start with npm start, or use a Node outside it`,
    );
    return 1;
  }

  let postgres: EmbeddedPostgresHandle | undefined;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    say(`starting embedded Postgres on 127.0.0.1:${env.PG_PORT} (data in ${places.pgData})`);
    postgres = await startEmbeddedPostgres({
      dataDir: places.pgData,
      port: env.PG_PORT,
      password: state.superuserPassword,
    });
    databaseUrl = await ensureAppDatabase(postgres.superuserUrl, {
      role: 'warren',
      password: state.appPassword,
      database: 'warren',
    });
  }

  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await postgres?.stop();
    say('stopped');
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    say('migrating');
    const report = await runMigrations(databaseUrl, { concurrency: 4, wait: true, out: process.stderr });
    if (report.failed.length > 0) {
      for (const f of report.failed) say(`tenant ${f.tenantId} failed at ${f.version}: ${f.error}`);
      await stop(1);
    }
    await ensureDemoTenant(databaseUrl, env.WARREN_DATA_DIR, state);

    const start = (name: string, script: string, childEnv: Record<string, string>) => {
      const child = spawn(process.execPath, [join(repoRoot, script)], {
        stdio: 'inherit',
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...childEnv },
      });
      child.once('exit', (code, signal) => {
        if (!stopping) {
          say(`${name} exited (${signal ?? code}); shutting down`);
          void stop(1);
        }
      });
      children.push(child);
    };
    let upstream = 'https://api.anthropic.com';
    if (!env.ANTHROPIC_API_KEY) {
      upstream = `http://127.0.0.1:${env.FAKE_ANTHROPIC_PORT}`;
      start('fake-anthropic', 'packages/fake-anthropic/src/main.ts', { PORT: String(env.FAKE_ANTHROPIC_PORT) });
    }
    const proxySocket = places.proxySocket;
    start('credential-proxy', 'apps/credential-proxy/src/main.ts', {
      DATABASE_URL: databaseUrl,
      PROXY_SOCKET_PATH: proxySocket,
      PROXY_TOKEN_SECRET: state.proxyTokenSecret,
      PROXY_PUBLIC_KEY: state.proxyPublicKey,
      PROXY_SECRET_KEY: state.proxySecretKey,
      ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY ?? 'sk-ant-local-fake-upstream',
      ANTHROPIC_UPSTREAM: upstream,
    });
    start('worker', 'apps/worker/src/main.ts', {
      DATABASE_URL: databaseUrl,
      PROXY_SOCKET_PATH: proxySocket,
      PROXY_TOKEN_SECRET: state.proxyTokenSecret,
      SANDBOX_ROOT: places.sandboxRoot,
      HOOK_SECRET_KEY: state.hookSecretKey,
      // the local demo may send webhooks to a receiver on this machine
      WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true',
    });
    start('api', 'apps/api/src/main.ts', {
      DATABASE_URL: databaseUrl,
      OPS_TOKEN: state.opsToken,
      PROXY_PUBLIC_KEY: state.proxyPublicKey,
      HOOK_SECRET_KEY: state.hookSecretKey,
      WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true',
      HOST: env.HOST,
      PORT: String(env.PORT),
    });

    const base = `http://${env.HOST}:${env.PORT}`;
    await waitForHttp(`${base}/readyz`);
    say(`model API:  ${env.ANTHROPIC_API_KEY ? upstream : `${upstream} (local fake; set ANTHROPIC_API_KEY for the real one)`}`);
    say(`proxy:      ${proxySocket}`);
    say(`API:        ${base}   (OpenAPI docs: ${base}/docs)`);
    say(`dashboard:  ${base}/dashboard/   (sign in with the demo key, or the ops token for the ops console)`);
    say(`demo key:   ${state.demoApiKey ?? '(no demo tenant: tenants existed before the first start)'}`);
    say(`ops token:  stored in ${join(env.WARREN_DATA_DIR, 'local.json')}`);
    say(`try:        KEY=${state.demoApiKey ?? '<your key>'}`);
    say(
      `            C=$(curl -s -X POST ${base}/v1/conversations -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d '{}' | sed 's/.*"id":"\\([^"]*\\)".*/\\1/')`,
    );
    say(
      `            curl -s -X POST ${base}/v1/conversations/$C/messages -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"content":"hello"}'`,
    );
    say(`            curl -s "${base}/v1/conversations/$C/messages" -H "authorization: Bearer $KEY"   # the reply appears here`);
    say('Ctrl-C stops everything.');
  } catch (err) {
    say(`start failed: ${(err as Error).message}`);
    await stop(1);
  }
  return new Promise<number>(() => {}); // runs until a signal
}

/** On the very first start of an empty installation, a tenant to play with. */
async function ensureDemoTenant(databaseUrl: string, dataDir: string, state: LocalState) {
  if (state.demoTenantId) return;
  const pool = createPool(databaseUrl, { max: 1, logger: cliLogger });
  try {
    if ((await listTenants(controlDb(pool), { limit: 1 })).length > 0) return;
    const { tenant, apiKey } = await provisionTenant(pool, { name: 'demo' });
    Object.assign(state, { demoTenantId: tenant.id, demoApiKey: apiKey.key });
    saveLocalState(dataDir, state);
  } finally {
    await pool.end();
  }
}

async function waitForHttp(url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
