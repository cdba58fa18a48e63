import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BwrapDriver } from '../src/bwrap-driver.ts';
import { findExecutable } from '../src/host-tools.ts';
import { descendantsOf } from '../src/process-tree.ts';
import { workspaceImagePath } from '../src/workspace-image.ts';
import { bashProbe, HostFixture, isAlive, newIds, runSandbox, until } from './bwrap-fixtures.ts';

/** The workspace quota: a loop-mounted ext4 image per conversation, in real sandboxes (needs root). */

const asRoot = process.getuid?.() === 0;
const MiB = 1024 * 1024;
const host = new HostFixture();
const driver = new BwrapDriver();

beforeAll(() => host.startProxy());
afterAll(async () => {
  await driver.cleanupLeftovers(host.dir);
  await host.cleanup();
});

const limits = (workspaceBytes: number) => ({ memoryBytes: 256 * MiB, pids: 128, workspaceBytes });
const hostMountsOf = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4] === dir);
// found as the driver finds its tools: a login shell's PATH may not hold the system folders
const loopsOf = (image: string) => execFileSync(findExecutable('losetup'), ['-j', image], { encoding: 'utf8' }).trim();

describe.runIf(asRoot)('the workspace quota', () => {
  it('stops a write at the quota with ENOSPC, keeps what fit across a restart, and grows with a larger quota', async () => {
    const ids = newIds();
    const first = await runSandbox(
      driver,
      await host.spec(
        {
          command: bashProbe(`
            echo kept > /workspace/kept.txt
            dd if=/dev/zero of=/workspace/big bs=1M count=400 2>&1 | grep -o 'No space left on device' | head -1
            echo "WROTE $(stat -c %s /workspace/big)"
          `),
          limits: limits(64 * MiB),
        },
        ids,
      ),
    );
    expect(first.process.appliedLimits.workspace).toBe(true);
    expect(first.stdout).toContain('No space left on device');
    const wrote = Number(/WROTE (\d+)/.exec(first.stdout)?.[1]);
    expect(wrote).toBeGreaterThan(40 * MiB); // the quota, less ext4's own metadata and journal
    expect(wrote).toBeLessThanOrEqual(64 * MiB);

    const { workspaceDir } = await host.folders(ids.tenantId, ids.conversationId);
    const image = workspaceImagePath(workspaceDir);
    expect(hostMountsOf(workspaceDir)).toEqual([]); // unmounted with the sandbox
    expect(loopsOf(image)).toBe(''); // and its loop device released

    const second = await runSandbox(
      driver,
      await host.spec(
        {
          command: bashProbe(`
            cat /workspace/kept.txt
            rm /workspace/big
            df -B1 --output=size /workspace | tail -1
            cat /proc/self/mountinfo
          `),
          limits: limits(128 * MiB),
        },
        ids,
      ),
    );
    const [kept, size, ...mountinfo] = second.stdout.trim().split('\n');
    expect(kept).toBe('kept');
    expect(Number(size)).toBeGreaterThan(100 * MiB); // grown to the new quota
    // The workspace shows as the image's own root, not as the host folder it is mounted on.
    expect(mountinfo.find((l) => l.split(' ')[4] === '/workspace')).toMatch(/^\S+ \S+ \S+ \/ \/workspace .* - ext4 \/dev\/loop\d+ /);
    expect(mountinfo.join('\n')).not.toContain(workspaceDir);
  });

  it('leaves no quota when none is asked for', async () => {
    const spec = await host.spec({ command: bashProbe('true') });
    const result = await runSandbox(driver, spec);
    expect(result.process.appliedLimits.workspace).toBe(false);
    expect(existsSync(workspaceImagePath(spec.workspaceDir))).toBe(false);
  });

  it('unmounts the workspace a crashed host left mounted, at the next host’s cleanup', async () => {
    const spec = await host.spec({ command: bashProbe('sleep 300 & wait'), limits: limits(64 * MiB) });
    const doomed = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'doomed-host.ts'), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      doomed.stdout.setEncoding('utf8').once('data', (d: string) => resolve(d));
      doomed.once('exit', (code) => reject(new Error(`host exited early (${code})`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    const sandboxPids = [pid, ...descendantsOf(pid)];
    doomed.kill('SIGKILL');
    // What this test is about is the mount the dead host left, so its sandbox is ended here too.
    // bwrap's --die-with-parent alone does not always end it: a bare `sleep` sandbox was seen to
    // outlive its SIGKILLed host (about 1 run in 3); the runner's stdin lifeline is what ends real ones.
    for (const p of sandboxPids) if (isAlive(p)) process.kill(p, 'SIGKILL');
    expect(await until(() => sandboxPids.every((p) => !isAlive(p)))).toBe(true);
    expect(hostMountsOf(spec.workspaceDir)).toHaveLength(1);

    await driver.cleanupLeftovers(host.dir);
    expect(hostMountsOf(spec.workspaceDir)).toEqual([]);
    // the kernel frees an autoclear loop device once the last reference to it goes, which was
    // seen to take over 20 s here when the killed sandbox's namespaces were slow to go
    expect(await until(() => loopsOf(workspaceImagePath(spec.workspaceDir)) === '', 90_000)).toBe(true);
  }, 120_000);
});
