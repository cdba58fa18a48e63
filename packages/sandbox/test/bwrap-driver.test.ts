import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxSpecError } from '../src/bind-guards.ts';
import { BwrapDriver } from '../src/bwrap-driver.ts';
import { cgroupDir, readCgroupMounts, readOwnCgroups } from '../src/cgroup-fs.ts';
import { measureSandbox } from '../src/measure.ts';
import { descendantsOf } from '../src/process-tree.ts';
import { bashProbe, HostFixture, isAlive, newIds, nodeBinDir, nodeProbe, runSandbox, text, until } from './bwrap-fixtures.ts';

const host = new HostFixture();
const driver = new BwrapDriver();
/** This machine has cgroup v1 memory and pids hierarchies (true here; production hosts are usually v2). */
const v1Host = existsSync('/sys/fs/cgroup/memory/cgroup.procs') && existsSync('/sys/fs/cgroup/pids/cgroup.procs');

beforeAll(() => host.startProxy());
afterAll(async () => {
  await driver.cleanupLeftovers(host.dir);
  await host.cleanup();
});

/** The v1 cgroup directory of `pid` for one controller. */
async function v1GroupOf(pid: number, controller: string): Promise<string> {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(controller));
  const mount = (await readCgroupMounts()).find((m) => m.version === 1 && m.controllers.includes(controller));
  return cgroupDir(mount!, line!.split(':')[2]!);
}

describe('inside a bwrap sandbox', () => {
  it('runs as uid 65534 with a working user database, its own hostname, and only the given environment', async () => {
    const spec = await host.spec({
      command: nodeProbe(`
        const os = require('os');
        console.log(JSON.stringify({ user: os.userInfo(), uid: process.getuid(), gid: process.getgid(), hostname: os.hostname(), cwd: process.cwd(), env: process.env }));
      `),
      env: { WARREN_SANDBOX_TOKEN: 'token-for-this-sandbox' },
    });
    const result = await runSandbox(driver, spec);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      user: { uid: 65534, gid: 65534, username: 'sandbox', homedir: '/workspace', shell: '/bin/bash' },
      uid: 65534,
      gid: 65534,
      hostname: 'sandbox',
      cwd: '/workspace',
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        HOME: '/workspace',
        LANG: 'C.UTF-8',
        PWD: '/workspace',
        WARREN_SANDBOX_TOKEN: 'token-for-this-sandbox',
      },
    });
    expect(result.code).toBe(0);
  });

  it('writes /workspace and /ipc through to the host folders, owned by the sandbox user, and keeps them for the next sandbox', async () => {
    const ids = newIds();
    const first = await runSandbox(
      driver,
      await host.spec(
        { command: bashProbe('echo persisted > /workspace/note.txt && mkdir -p /workspace/src && echo "{}" > /ipc/events/e1.json') },
        ids,
      ),
    );
    expect(first.code).toBe(0);
    const { workspaceDir, ipcDir } = await host.folders(ids.tenantId, ids.conversationId);
    expect(readFileSync(join(workspaceDir, 'note.txt'), 'utf8')).toBe('persisted\n');
    expect(statSync(join(workspaceDir, 'note.txt')).uid).toBe(65534);
    expect(statSync(join(workspaceDir, 'src')).isDirectory()).toBe(true);
    expect(readFileSync(join(ipcDir, 'events', 'e1.json'), 'utf8')).toBe('{}\n');

    const second = await runSandbox(driver, await host.spec({ command: bashProbe('cat /workspace/note.txt') }, ids));
    expect(second.stdout).toBe('persisted\n');
  });

  it('reaches the credential proxy through /run/warren/proxy.sock', async () => {
    const spec = await host.spec({
      command: nodeProbe(`
        require('http').get({ socketPath: '/run/warren/proxy.sock', path: '/v1/messages' }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d)).on('end', () => console.log(res.statusCode, body));
        }).on('error', (e) => console.log('ERROR', e.code));
      `),
    });
    const result = await runSandbox(driver, spec);
    expect(result.stdout.trim()).toBe('200 proxy says hello');
  });

  it('passes the program’s exit code through', async () => {
    const result = await runSandbox(driver, await host.spec({ command: bashProbe('echo to-stderr >&2; exit 3') }));
    expect(result).toMatchObject({ code: 3, signal: null, stderr: 'to-stderr\n' });
  });
});

describe('resource limits', () => {
  it.runIf(v1Host)('applies memory, pids and cpu limits with cgroup v1 here, and removes the groups afterwards', async () => {
    const spec = await host.spec({
      command: bashProbe('sleep 30'),
      limits: { memoryBytes: 200 * 1024 * 1024, pids: 77, cpuShares: 512, cpuPercent: 50 },
    });
    const sandbox = await driver.start(spec);
    expect(sandbox.appliedLimits).toEqual({ mechanism: 'cgroup-v1', memory: true, pids: true, cpu: true, workspace: false });
    expect(await until(() => descendantsOf(sandbox.pid).length >= 2)).toBe(true); // bwrap's pid 1 and sleep
    const memory = await v1GroupOf(sandbox.pid, 'memory');
    const pids = await v1GroupOf(sandbox.pid, 'pids');
    const cpu = await v1GroupOf(sandbox.pid, 'cpu');
    expect(memory.endsWith(`/${spec.tenantId}/${spec.sandboxId}`)).toBe(true); // nested under its tenant
    expect(readFileSync(join(cpu, '..', 'cpu.shares'), 'utf8').trim()).toBe('1024'); // every tenant alike
    expect(readFileSync(join(memory, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(200 * 1024 * 1024));
    expect(readFileSync(join(pids, 'pids.max'), 'utf8').trim()).toBe('77');
    expect(readFileSync(join(cpu, 'cpu.shares'), 'utf8').trim()).toBe('512');
    expect(readFileSync(join(cpu, 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('50000');
    // every process of the sandbox is in the group, bwrap included
    const inside = descendantsOf(sandbox.pid);
    const inGroup = readFileSync(join(pids, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number);
    expect(inGroup.sort()).toEqual([sandbox.pid, ...inside].sort());

    sandbox.kill();
    await sandbox.exited;
    expect(existsSync(memory)).toBe(false);
    expect(existsSync(pids)).toBe(false);
    expect(existsSync(cpu)).toBe(false);
    expect(existsSync(join(cpu, '..'))).toBe(false); // its tenant's group, now empty
  });

  it.runIf(v1Host)('shares CPU by tenant even when no cpu limit is asked for', async () => {
    const result = await runSandbox(driver, await host.spec({ command: bashProbe('true') }));
    expect(result.process.appliedLimits).toMatchObject({ memory: true, pids: true, cpu: true });
  });

  it('refuses to start when a mechanism that was asked for is not available', async () => {
    const mechanism = v1Host ? 'cgroup-v2' : 'cgroup-v1';
    const spec = await host.spec({ command: bashProbe('true') });
    await expect(new BwrapDriver({ mechanism }).start(spec)).rejects.toThrow(/not available/);
  });

  it('falls back to rlimits when told to (no cgroups): a per-process data limit still stops a runaway allocation', async () => {
    const rlimits = new BwrapDriver({ mechanism: 'rlimit' });
    const spec = await host.spec({
      command: nodeProbe(`
        console.log(require('fs').readFileSync('/proc/self/limits', 'utf8').split('\\n').filter((l) => /data|processes/.test(l)).join('\\n'));
        const chunks = [];
        try { for (let i = 0; i < 160; i++) chunks.push(Buffer.alloc(16 * 1024 * 1024, 1)); console.log('ALLOCATED-ALL'); }
        catch (e) { console.log('REFUSED after', chunks.length); }
      `),
      limits: { memoryBytes: 128 * 1024 * 1024, pids: 4096 },
    });
    const result = await runSandbox(rlimits, spec);
    expect(result.process.appliedLimits).toEqual({ mechanism: 'rlimit', memory: true, pids: true, cpu: false, workspace: false });
    expect(result.stdout).toMatch(/Max data size\s+1207959552\s+1207959552/);
    expect(result.stdout).toMatch(/Max processes\s+4096\s+4096/);
    expect(result.stdout).not.toContain('ALLOCATED-ALL');
  });
});

describe('measureSandbox', () => {
  it('times a sandbox from start to teardown', async () => {
    const timings = await measureSandbox(driver, await host.spec({ command: nodeProbe('console.log(1)') }));
    console.log('sandbox timings (ms):', JSON.stringify(timings));
    expect(timings.code).toBe(0);
    expect(timings.startedMs).toBeGreaterThan(0);
    expect(timings.firstOutputMs).toBeGreaterThanOrEqual(timings.startedMs);
    expect(timings.exitedMs).toBeGreaterThanOrEqual(timings.firstOutputMs!);
  });
});

describe('ending a sandbox', () => {
  it('kill() ends every process inside, orphans included', async () => {
    const sandbox = await driver.start(await host.spec({ command: bashProbe('sleep 300 & sleep 300 & (sleep 300 &); wait') }));
    // bwrap's pid 1, bash, and three sleeps
    expect(await until(() => descendantsOf(sandbox.pid).length >= 5)).toBe(true);
    const inside = descendantsOf(sandbox.pid);
    sandbox.kill();
    expect(await sandbox.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await until(() => [sandbox.pid, ...inside].every((pid) => !isAlive(pid)))).toBe(true);
  });

  it('kill("SIGTERM") lets the program shut down by itself', async () => {
    const sandbox = await driver.start(
      await host.spec({
        command: nodeProbe(
          `process.on('SIGTERM', () => { console.log('cleaning up'); process.exit(7); }); console.log('ready'); setInterval(() => {}, 1000);`,
        ),
      }),
    );
    const output = text(sandbox.stdout);
    sandbox.stderr.resume();
    // wait for the handler to be installed
    await new Promise<void>((resolve) => sandbox.stdout.once('data', () => resolve()));
    sandbox.kill('SIGTERM');
    expect(await sandbox.exited).toEqual({ code: 7, signal: null });
    expect(await output).toContain('cleaning up');
  });

  it('dies with its host (--die-with-parent), and the next host removes what the dead one left', async () => {
    const spec = await host.spec({ command: bashProbe('sleep 300 & wait') });
    const doomed = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'doomed-host.ts'), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      doomed.stdout.setEncoding('utf8').once('data', (d: string) => resolve(d));
      doomed.once('exit', (code) => reject(new Error(`host exited early (${code})`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(await until(() => descendantsOf(pid).length >= 3)).toBe(true);
    const sandboxPids = [pid, ...descendantsOf(pid)];
    const groups = v1Host ? [await v1GroupOf(pid, 'memory'), await v1GroupOf(pid, 'pids')] : [];

    doomed.kill('SIGKILL');
    expect(await until(() => sandboxPids.every((p) => !isAlive(p)))).toBe(true);
    // the dead host could not remove its groups; a new host's cleanup does
    for (const group of groups) expect(existsSync(group)).toBe(true);
    await driver.cleanupLeftovers(host.dir);
    for (const group of groups) {
      expect(existsSync(group)).toBe(false);
      expect(existsSync(join(group, '..'))).toBe(false); // the dead host's folder too
    }
  });

  it.runIf(v1Host)('cleanupLeftovers kills processes still running in a crashed host’s groups', async () => {
    // A host that is certainly gone (pid above pid_max) left a sandbox group with a process in it.
    const own = await readOwnCgroups();
    const mounts = await readCgroupMounts();
    const groups = ['memory', 'pids'].map((controller) => {
      const mount = mounts.find((m) => m.version === 1 && m.controllers.includes(controller))!;
      return join(cgroupDir(mount, own.get(controller) ?? '/'), 'warren', 'host-99999999-1', 'sbx_leftover');
    });
    const straggler = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
    for (const group of groups) {
      mkdirSync(group, { recursive: true });
      writeFileSync(join(group, 'cgroup.procs'), String(straggler.pid));
    }
    const ended = new Promise((resolve) => straggler.once('exit', (_code, signal) => resolve(signal)));

    await driver.cleanupLeftovers(host.dir);
    expect(await ended).toBe('SIGKILL');
    for (const group of groups) expect(existsSync(join(group, '..'))).toBe(false);
  });

  it('leaves the groups of a host that is still running alone', async () => {
    const sandbox = await driver.start(await host.spec({ command: bashProbe('sleep 300') }));
    await new BwrapDriver().cleanupLeftovers(host.dir); // another driver in this same, live process
    expect(isAlive(sandbox.pid)).toBe(true);
    sandbox.kill();
    await sandbox.exited;
  });
});

describe('refusing to start', () => {
  it('refuses read-only paths that would expose the host or other sandboxes', async () => {
    const spec = await host.spec({ command: bashProbe('true') });
    const tenantDir = join(spec.workspaceDir, '..', '..');
    for (const readOnlyPaths of [['/etc'], ['/'], ['/home'], [host.root], [join(tenantDir)], [host.dir], ['/proc/self']]) {
      await expect(driver.start({ ...spec, readOnlyPaths: [nodeBinDir, ...readOnlyPaths.map((p) => join(p))] })).rejects.toBeInstanceOf(
        SandboxSpecError,
      );
    }
  });

  it('refuses ids that are not TypeIDs and paths that are not absolute', async () => {
    const spec = await host.spec({ command: bashProbe('true') });
    for (const bad of [
      { tenantId: '../../etc' },
      { conversationId: 'conv_../../x' },
      { sandboxId: '../escape' },
      { workspaceDir: 'relative/path' },
      { workspaceDir: `${spec.workspaceDir}/../../other` },
      { command: [] },
      { env: { 'BAD=NAME': 'x' } },
    ]) {
      await expect(driver.start({ ...spec, ...bad })).rejects.toBeInstanceOf(SandboxSpecError);
    }
  });

  it('refuses a proxy socket the sandbox user could not connect to', async () => {
    const spec = await host.spec({ command: bashProbe('true') });
    chmodSync(host.proxySocket, 0o600);
    try {
      await expect(driver.start(spec)).rejects.toThrow(/not connectable by the sandbox user/);
    } finally {
      chmodSync(host.proxySocket, 0o666);
    }
  });

  it('refuses, with a clear message, folders the sandbox user cannot reach', async () => {
    const spec = await host.spec({ command: bashProbe('true') });
    const hidden = join(host.privateDir(), 'locked');
    mkdirSync(join(hidden, 'bin'), { recursive: true, mode: 0o700 });
    await expect(driver.start({ ...spec, readOnlyPaths: [join(hidden, 'bin')] })).rejects.toThrow(
      /not reachable by the sandbox user 65534/,
    );
  });

  it('rejects start() when the sandbox cannot be set up, with bwrap’s error, and leaves no group behind', async () => {
    const broken = new BwrapDriver({ bwrapPath: '/bin/false' });
    const spec = await host.spec({ command: bashProbe('true') });
    await expect(broken.start(spec)).rejects.toThrow(/failed to start/);
    if (v1Host) {
      const pidsParent = join('/sys/fs/cgroup/pids', 'warren');
      const leftovers = existsSync(pidsParent)
        ? readdirSync(pidsParent, { recursive: true }).filter((p) => String(p).endsWith(spec.sandboxId))
        : [];
      expect(leftovers).toEqual([]);
    }
  });

  it('binds each skill folder read-only at /skills/<name>, and nothing else there', async () => {
    const skillDir = join(host.privateDir(), 'pdf-tools@1');
    mkdirSync(skillDir, { mode: 0o755 });
    writeFileSync(join(skillDir, 'SKILL.md'), '---\nname: pdf-tools\n---\n', { mode: 0o644 });
    const result = await runSandbox(
      driver,
      await host.spec({
        command: bashProbe(
          'ls /skills; cat /skills/pdf-tools/SKILL.md; touch /skills/pdf-tools/x 2>&1; echo more >> /skills/pdf-tools/SKILL.md 2>&1; true',
        ),
        skills: [{ name: 'pdf-tools', dir: skillDir }],
      }),
    );
    expect(result.stdout).toMatch(/^pdf-tools\n---\nname: pdf-tools/);
    expect(result.stdout).toMatch(/touch: .*Read-only file system/);
    expect(result.stderr).toMatch(/SKILL\.md: (Read-only file system|Permission denied)/); // bash's own redirection error
    expect(readFileSync(join(skillDir, 'SKILL.md'), 'utf8')).toBe('---\nname: pdf-tools\n---\n');
  });

  it('refuses a second sandbox with the id of one that is running', async () => {
    const spec = await host.spec({ command: bashProbe('sleep 300') });
    const sandbox = await driver.start(spec);
    try {
      if (sandbox.appliedLimits.mechanism.startsWith('cgroup')) await expect(driver.start(spec)).rejects.toThrow(/already running/);
    } finally {
      sandbox.kill();
      await sandbox.exited;
    }
  });
});
