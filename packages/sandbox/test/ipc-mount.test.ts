import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipcFolders } from '@warren/ipc';
import { afterAll, describe, expect, it } from 'vitest';
import { mountIpcTmpfs } from '../src/ipc-mount.ts';
import { prepareSandboxFolders } from '../src/workspace.ts';
import { newIds } from './bwrap-fixtures.ts';

const asRoot = process.getuid?.() === 0;
const base = mkdtempSync(join(tmpdir(), 'warren-ipc-mount-test-'));
const root = join(base, 'sandboxes');
afterAll(() => rmSync(base, { recursive: true, force: true }));

const mountsAt = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4] === dir);

describe.runIf(asRoot)('the IPC tmpfs', () => {
  it('gives the IPC folder a filesystem of its own; unmounting it drops what a sandbox planted without walking it', async () => {
    const canary = join(base, 'canary');
    mkdirSync(canary);
    writeFileSync(join(canary, 'precious'), 'x');
    const ids = newIds();
    const { ipcDir } = await prepareSandboxFolders(root, ids.tenantId, ids.conversationId);
    const unmount = await mountIpcTmpfs(ipcDir);
    expect(mountsAt(ipcDir)).toHaveLength(1);
    expect(readdirSync(ipcDir).sort()).toEqual(Object.values(ipcFolders).sort());
    mkdirSync(join(ipcDir, ipcFolders.messages, 'planted'));
    symlinkSync(canary, join(ipcDir, ipcFolders.messages, 'planted', 'link'));

    await unmount();
    expect(mountsAt(ipcDir)).toEqual([]);
    expect(readdirSync(join(ipcDir, ipcFolders.messages))).toEqual([]); // the folder underneath, untouched
    expect(readdirSync(canary)).toEqual(['precious']);
  });
});
