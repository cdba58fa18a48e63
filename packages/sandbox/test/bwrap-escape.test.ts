import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lchownSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, relative } from 'node:path';
import { newId } from '@warren/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BwrapDriver } from '../src/bwrap-driver.ts';
import { bashProbe, HostFixture, newIds, nodeBinDir, nodeProbe, runSandbox } from './bwrap-fixtures.ts';

/**
 * Everything a sandboxed program might try in order to reach what is not its own. Each probe
 * runs in a real bubblewrap sandbox and must fail; where it helps, the same script first does
 * something allowed, to show the probe itself works.
 */

const secret = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;
const otherTenantSecret = secret('OTHER-TENANT-SECRET');
const otherConversationSecret = secret('OTHER-CONVERSATION-SECRET');
const proxySecret = secret('PROXY-SECRET');
const hostEnvSecret = secret('HOST-ENV-SECRET');

const host = new HostFixture();
const driver = new BwrapDriver();
const attacker = newIds();
let otherTenantFile: string;
let otherConversationFile: string;
let proxySecretFile: string;
let attackerWorkspace: string;

/** Runs `command` in the attacker's sandbox (tenant A, conversation 1). */
async function attack(command: string[], limits?: { memoryBytes: number; pids: number }) {
  const spec = await host.spec({ command, ...(limits ? { limits } : {}) }, attacker);
  return runSandbox(driver, spec);
}

/** A file only the sandbox user could read, were it reachable: isolation must come from the mounts. */
function plantSecret(dir: string, content: string): string {
  const file = join(dir, 'secret.txt');
  writeFileSync(file, content);
  lchownSync(file, 65534, 65534);
  chmodSync(file, 0o644);
  return file;
}

beforeAll(async () => {
  await host.startProxy();
  process.env.WARREN_TEST_HOST_SECRET = hostEnvSecret;
  const otherTenant = await host.folders(newId('tenant'), newId('conversation'));
  otherTenantFile = plantSecret(otherTenant.workspaceDir, otherTenantSecret);
  const otherConversation = await host.folders(attacker.tenantId, newId('conversation'));
  otherConversationFile = plantSecret(otherConversation.workspaceDir, otherConversationSecret);
  proxySecretFile = join(host.privateDir(), 'proxy-secrets.json');
  writeFileSync(proxySecretFile, JSON.stringify({ platformKey: proxySecret }));
  chmodSync(proxySecretFile, 0o644);
  attackerWorkspace = (await host.folders(attacker.tenantId, attacker.conversationId)).workspaceDir;
});

afterAll(async () => {
  delete process.env.WARREN_TEST_HOST_SECRET;
  await driver.cleanupLeftovers(host.dir);
  await host.cleanup();
});

describe('a sandbox cannot read other sandboxes’ files', () => {
  it('cannot read another tenant’s or another conversation’s workspace, by host path or ../', async () => {
    const fromWorkspace = (file: string) => relative(attackerWorkspace, file); // ../../<conv>/workspace/secret.txt …
    const paths = [
      otherTenantFile,
      otherConversationFile,
      fromWorkspace(otherTenantFile),
      fromWorkspace(otherConversationFile),
      `/workspace/${fromWorkspace(otherConversationFile)}`,
      `/proc/1/root${otherTenantFile}`,
      `/proc/self/cwd/${fromWorkspace(otherTenantFile)}`,
    ];
    expect(paths[2]).toMatch(/^\.\.\/\.\.\/\.\.\//);
    const result = await attack(
      bashProbe(`
        echo mine > /workspace/mine.txt && cat /workspace/mine.txt
        for p in ${paths.map((p) => `'${p}'`).join(' ')}; do cat "$p" 2>/dev/null && echo "READ $p"; done
        find / -xdev -name secret.txt 2>/dev/null | sed 's/^/FOUND /'
        ls -a /workspace/.. /workspace/../.. 2>&1
      `),
    );
    expect(result.stdout).toContain('mine'); // the probe can read what is its own
    expect(result.stdout).not.toContain('READ');
    expect(result.stdout).not.toContain('FOUND');
    expect(result.stdout + result.stderr).not.toContain(otherTenantSecret);
    expect(result.stdout + result.stderr).not.toContain(otherConversationSecret);
    // the workspace's parent is the sandbox's own root, not the tenant's folder
    expect(result.stdout).not.toContain(attacker.conversationId);
  });

  it('cannot read a host secret outside its mounts, directly or through a symlink the host left in the workspace', async () => {
    symlinkSync(proxySecretFile, join(attackerWorkspace, 'absolute-link'));
    symlinkSync(relative(attackerWorkspace, proxySecretFile), join(attackerWorkspace, 'relative-link'));
    const result = await attack(
      bashProbe(`
        for p in '${proxySecretFile}' /workspace/absolute-link /workspace/relative-link '/proc/1/root${proxySecretFile}'; do
          cat "$p" 2>/dev/null && echo "READ $p"
        done
        readlink /workspace/absolute-link
      `),
    );
    expect(result.stdout).toContain(proxySecretFile); // the link is there, pointing at nothing inside
    expect(result.stdout).not.toContain('READ');
    expect(result.stdout + result.stderr).not.toContain(proxySecret);
  });
});

describe('a sandbox cannot see the host', () => {
  it('sees none of the host’s environment, only its own', async () => {
    const result = await attack(
      bashProbe(`
        tr '\\0' '\\n' < /proc/self/environ; echo ---
        env; echo ---
        tr '\\0' '\\n' < /proc/1/environ; echo ---
        cat /proc/*/environ | tr '\\0' '\\n'
      `),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(hostEnvSecret);
    expect(result.stdout).not.toContain('WARREN_TEST_HOST_SECRET');
    expect(result.stdout).not.toContain('NODE_EXTRA_CA_CERTS');
    expect(result.stdout).not.toContain(process.cwd()); // not even the launcher's working folder
    const names = result.stdout
      .split('---')[1]!
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('=')[0]);
    expect(new Set(names)).toEqual(new Set(['PATH', 'HOME', 'LANG', 'PWD', 'SHLVL', '_']));
  });

  it('sees only its own processes', async () => {
    const result = await attack(
      bashProbe('ps -eo pid=,args=; echo ---; ls /proc | grep -cE "^[0-9]+$"; cat /proc/*/cmdline | tr "\\0" " "'),
    );
    const [ps = '', rest = ''] = result.stdout.split('---');
    const pids = ps
      .trim()
      .split('\n')
      .map((line) => Number(line.trim().split(/\s+/)[0]));
    expect(Math.max(...pids)).toBeLessThan(10); // a fresh pid namespace: bwrap's init, bash, ps
    expect(pids.length).toBeLessThanOrEqual(4);
    expect(rest).not.toContain('vitest');
    expect(rest).not.toContain(String(process.pid));
  });

  it('does not show the sandbox’s token or folders in the host’s process list', async () => {
    const token = secret('SANDBOX-TOKEN');
    const spec = await host.spec({ command: bashProbe('sleep 30'), env: { WARREN_SANDBOX_TOKEN: token } }, attacker);
    const sandbox = await driver.start(spec);
    try {
      const cmdline = readFileSync(`/proc/${sandbox.pid}/cmdline`, 'utf8');
      expect(cmdline).toContain('bwrap');
      expect(cmdline).not.toContain(token);
      expect(cmdline).not.toContain(spec.workspaceDir);
    } finally {
      sandbox.kill();
      await sandbox.exited;
    }
  });
});

describe('a sandbox has no network', () => {
  let tcp: Server;
  let abstract: Server;
  let connections = 0;
  const abstractName = `\0warren-test-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    const refuse = (s: import('node:net').Socket) => {
      connections++;
      s.destroy();
    };
    tcp = createServer(refuse);
    abstract = createServer(refuse);
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => abstract.listen(abstractName, resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => tcp.close(resolve));
    await new Promise((resolve) => abstract.close(resolve));
  });

  it('cannot reach a host TCP port, an outside address, or a host abstract unix socket', async () => {
    const port = (tcp.address() as { port: number }).port;
    const result = await attack(
      nodeProbe(`
        const net = require('net');
        const attempt = (options) => new Promise((resolve) => {
          const socket = net.connect(options);
          const timer = setTimeout(() => (socket.destroy(), resolve('TIMEOUT')), 15000);
          socket.on('connect', () => (clearTimeout(timer), socket.destroy(), resolve('CONNECTED')));
          socket.on('error', (e) => (clearTimeout(timer), resolve(e.code)));
        });
        (async () => console.log(JSON.stringify({
          local: await attempt({ host: '127.0.0.1', port: ${port} }),
          external: await attempt({ host: '1.1.1.1', port: 80 }),
          abstract: await attempt({ path: ${JSON.stringify(abstractName)} }),
          interfaces: Object.keys(require('os').networkInterfaces()),
        })))();
      `),
    );
    expect(JSON.parse(result.stdout)).toEqual({
      local: 'ECONNREFUSED', // its own loopback, where nothing listens
      external: 'ENETUNREACH', // no route at all: refused at once, nothing leaves
      abstract: 'ECONNREFUSED', // abstract sockets belong to the network namespace
      interfaces: ['lo'],
    });
    expect(connections).toBe(0);
  });
});

describe('a sandbox cannot change anything outside /workspace', () => {
  it('cannot write to /, /usr, /etc, /dev, /ipc itself, the runner’s code or /proc/sys', async () => {
    const targets = ['/', '/usr', '/usr/bin', '/etc', '/bin', '/dev', '/ipc', '/run/warren', nodeBinDir, '/proc/sys/kernel'];
    const result = await attack(
      bashProbe(`
        echo ok > /workspace/probe && echo WORKSPACE-WRITABLE
        echo ok > /tmp/probe && echo TMP-WRITABLE
        echo ok > /ipc/events/probe && echo IPC-WRITABLE
        for d in ${targets.map((t) => `'${t}'`).join(' ')}; do (echo x > "$d/escape-probe") 2>/dev/null && echo "WROTE $d"; done
        mkdir /escape-dir 2>/dev/null && echo "WROTE mkdir"
        (echo evil > /proc/sys/kernel/hostname) 2>/dev/null && echo "WROTE hostname"
        (echo evil > /etc/passwd) 2>/dev/null && echo "WROTE passwd"
        chmod 777 /ipc 2>/dev/null && echo "CHMOD ipc"
        mv /ipc/input /workspace/stolen-input 2>/dev/null && echo "MOVED ipc/input"
        true
      `),
    );
    expect(result.stdout).toContain('WORKSPACE-WRITABLE');
    expect(result.stdout).toContain('TMP-WRITABLE');
    expect(result.stdout).toContain('IPC-WRITABLE');
    expect(result.stdout).not.toMatch(/WROTE|CHMOD|MOVED/);
    expect(existsSync(join(nodeBinDir, 'escape-probe'))).toBe(false);
  });

  it('has no capabilities, cannot make namespaces, mount, or gain privileges', async () => {
    const result = await attack(
      bashProbe(`
        grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status
        unshare -U true 2>/dev/null && echo "UNSHARED user"
        unshare -r true 2>/dev/null && echo "UNSHARED root"
        mount -t tmpfs none /workspace 2>/dev/null && echo "MOUNTED"
        ls /proc/self/fd
      `),
    );
    expect(result.stdout).toMatch(/CapEff:\s+0{16}/);
    expect(result.stdout).toMatch(/CapPrm:\s+0{16}/);
    expect(result.stdout).toMatch(/CapBnd:\s+0{16}/);
    expect(result.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(result.stdout).not.toMatch(/UNSHARED|MOUNTED/);
    // only stdio (and ls's own directory handle): no descriptor of the host leaks in
    const fds = result.stdout.trim().split('\n').slice(-5).join(' ');
    expect(fds.split(/\s+/).filter((fd) => Number(fd) > 3)).toEqual([]);
  });
});

describe('a sandbox cannot exhaust the host', () => {
  it('is stopped at its memory limit', async () => {
    const result = await attack(
      nodeProbe(`
        const chunks = [];
        for (let i = 0; i < 64; i++) chunks.push(Buffer.alloc(16 * 1024 * 1024, 1)); // 1 GiB
        console.log('ALLOCATED-ALL');
      `),
      { memoryBytes: 128 * 1024 * 1024, pids: 128 },
    );
    expect(result.stdout).not.toContain('ALLOCATED-ALL');
    expect(result.code === 0 && result.signal === null).toBe(false);
  });

  it('cannot fork past its pids limit', async () => {
    const result = await attack(
      nodeProbe(`
        const { spawn } = require('child_process');
        let ok = 0, failed = 0, pending = 200;
        const codes = new Set();
        const done = () => { if (--pending === 0) { console.log(JSON.stringify({ ok, failed, codes: [...codes] })); process.exit(0); } };
        for (let i = 0; i < 200; i++) {
          const child = spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
          child.on('spawn', () => (ok++, done()));
          child.on('error', (e) => (failed++, codes.add(e.code), done()));
        }
      `),
      { memoryBytes: 256 * 1024 * 1024, pids: 32 },
    );
    const outcome = JSON.parse(result.stdout) as { ok: number; failed: number; codes: string[] };
    expect(outcome.ok).toBeLessThan(32);
    expect(outcome.failed).toBeGreaterThan(0);
    expect(outcome.codes).toContain('EAGAIN');
  });
});
