import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSE_SENTINEL, ipcFolders } from '@warren/ipc';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, isRunning, startHarness, startRunner, waitFor } from './harness.ts';

let h: Harness | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('lifecycle', () => {
  it('exits 0 on _close, removing it', async () => {
    h = await startHarness();
    await h.result(await h.sendTurn('one turn first'));
    await writeFile(join(h.ipcDir, ipcFolders.input, CLOSE_SENTINEL), '');
    expect(await h.runner.exited).toBe(0);
    expect(existsSync(join(h.ipcDir, ipcFolders.input, CLOSE_SENTINEL))).toBe(false);
  });

  it('exits on SIGTERM while waiting for input', async () => {
    h = await startHarness();
    await waitFor(async () => (await h!.events()).find((e) => e.type === 'ready'));
    h.runner.child.kill('SIGTERM');
    expect(await h.runner.exited).toBe(0);
  });

  it('exits on SIGTERM mid-turn and leaves no bash process behind', async () => {
    h = await startHarness();
    await h.sendTurn('#fake tool bash {"command":"echo $$ > bash.pid; sleep 300"}');
    const pidFile = join(h.workspace, 'bash.pid');
    const pid = await waitFor(() => (existsSync(pidFile) ? Number.parseInt(readFileSync(pidFile, 'utf8'), 10) || undefined : undefined));
    h.runner.child.kill('SIGTERM');
    expect(await h.runner.exited).toBe(0);
    await waitFor(() => (isRunning(pid) ? undefined : true));
  });

  it('exits 78 on a bad number or a missing folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-runner-env-'));
    dirs.push(dir);
    const badNumber = startRunner({ WARREN_IPC_DIR: dir, WARREN_WORKSPACE: dir, WARREN_TASK_RESPONSE_TIMEOUT_MS: 'soon' });
    expect(await badNumber.exited).toBe(78);
    expect(badNumber.stderr()).toContain('WARREN_TASK_RESPONSE_TIMEOUT_MS');
    const missing = startRunner({ WARREN_IPC_DIR: dir, WARREN_WORKSPACE: join(dir, 'nope') });
    expect(await missing.exited).toBe(78);
    expect(missing.stderr()).toContain('WARREN_WORKSPACE');
  });
});
