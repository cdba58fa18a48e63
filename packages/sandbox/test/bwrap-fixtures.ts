import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { newId } from '@warren/core';
import type { SandboxDriver, SandboxExit, SandboxProcess, SandboxSpec } from '../src/driver.ts';
import { prepareSandboxFolders, type SandboxFolders } from '../src/workspace.ts';

/** Node inside the sandbox: the host's own binary, its folder bound read-only. */
export const nodeBinDir = dirname(process.execPath);
export const nodeProbe = (code: string) => [process.execPath, '-e', code];
export const bashProbe = (script: string) => ['/bin/bash', '-c', script];

/** Temp folders the sandbox user (bwrap runs as it) can walk through; all removed by `cleanup`. */
export class HostFixture {
  readonly dir: string;
  readonly root: string;
  readonly proxySocket: string;
  private server: Server | undefined;
  private readonly extraDirs: string[] = [];

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'warren-bwrap-test-'));
    chmodSync(this.dir, 0o711);
    this.root = join(this.dir, 'sandboxes');
    // in a directory of its own: sandboxes bind the socket's directory
    this.proxySocket = join(this.dir, 'proxy', 'proxy.sock');
    mkdirSync(dirname(this.proxySocket), { mode: 0o755 });
  }

  /** A stand-in for the credential proxy: answers every request with `body`. */
  async startProxy(body = 'proxy says hello'): Promise<void> {
    this.server = createServer((_req, res) => res.end(body));
    await new Promise<void>((resolve) => this.server!.listen(this.proxySocket, resolve));
    chmodSync(this.proxySocket, 0o666);
  }

  /** A host folder that is never bound into any sandbox. */
  privateDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'warren-bwrap-private-'));
    chmodSync(dir, 0o755);
    this.extraDirs.push(dir);
    return dir;
  }

  folders(tenantId: string, conversationId: string): Promise<SandboxFolders> {
    return prepareSandboxFolders(this.root, tenantId, conversationId);
  }

  async spec(overrides: Partial<SandboxSpec> & { command: string[] }, ids = newIds()): Promise<SandboxSpec> {
    const folders = await this.folders(ids.tenantId, ids.conversationId);
    return {
      sandboxId: `sbx_${Math.random().toString(36).slice(2, 12)}`,
      ...ids,
      ...folders,
      proxySocket: this.proxySocket,
      readOnlyPaths: [nodeBinDir],
      env: {},
      limits: { memoryBytes: 256 * 1024 * 1024, pids: 128 },
      ...overrides,
    };
  }

  async cleanup(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const dir of [this.dir, ...this.extraDirs]) rmSync(dir, { recursive: true, force: true });
  }
}

export function newIds(): { tenantId: string; conversationId: string } {
  return { tenantId: newId('tenant'), conversationId: newId('conversation') };
}

export interface RunResult extends SandboxExit {
  stdout: string;
  stderr: string;
  process: SandboxProcess;
}

/** Starts a sandbox and waits for it to end, collecting its output. */
export async function runSandbox(driver: SandboxDriver, spec: SandboxSpec): Promise<RunResult> {
  const process = await driver.start(spec);
  const [stdout, stderr, exit] = await Promise.all([text(process.stdout), text(process.stderr), process.exited]);
  return { ...exit, stdout, stderr, process };
}

export async function text(stream: Readable): Promise<string> {
  let out = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) out += chunk as string;
  return out;
}

/** Polls until `check` holds or `ms` pass (a generous ceiling for slow machines, not an assertion). */
export async function until(check: () => boolean, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return check();
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
