import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '@warren/core';
import { ipcFolders } from '@warren/ipc';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareSandboxFolders } from '../src/workspace.ts';

const root = join(mkdtempSync(join(tmpdir(), 'warren-workspace-test-')), 'sandboxes');
afterAll(() => rmSync(join(root, '..'), { recursive: true, force: true }));

const asRoot = process.getuid?.() === 0;
const owner = (path: string) => ({ uid: statSync(path).uid, mode: statSync(path).mode & 0o7777 });

describe('prepareSandboxFolders', () => {
  it('lays out a conversation’s folders: traversable host folders above, the sandbox user’s below', async () => {
    const tenantId = newId('tenant');
    const conversationId = newId('conversation');
    const { workspaceDir, ipcDir } = await prepareSandboxFolders(root, tenantId, conversationId);
    expect(workspaceDir).toBe(join(root, tenantId, conversationId, 'workspace'));
    expect(ipcDir).toBe(join(root, tenantId, conversationId, 'ipc'));
    expect(readdirSync(ipcDir).sort()).toEqual(Object.values(ipcFolders).sort());
    if (!asRoot) return;
    const sandbox = 65534;
    expect(owner(join(root, tenantId))).toEqual({ uid: 0, mode: 0o711 });
    expect(owner(join(root, tenantId, conversationId))).toEqual({ uid: 0, mode: 0o711 });
    expect(owner(workspaceDir)).toEqual({ uid: sandbox, mode: 0o700 });
    expect(owner(ipcDir)).toEqual({ uid: 0, mode: 0o755 });
    for (const folder of Object.values(ipcFolders)) {
      const expected = folder === ipcFolders.errors ? { uid: 0, mode: 0o700 } : { uid: sandbox, mode: 0o700 };
      expect(owner(join(ipcDir, folder))).toEqual(expected);
    }
  });

  it('is idempotent and repairs modes that drifted', async () => {
    const tenantId = newId('tenant');
    const conversationId = newId('conversation');
    const first = await prepareSandboxFolders(root, tenantId, conversationId);
    chmodSync(first.workspaceDir, 0o777);
    const second = await prepareSandboxFolders(root, tenantId, conversationId);
    expect(second).toEqual(first);
    expect(statSync(second.workspaceDir).mode & 0o777).toBe(0o700);
  });

  it('accepts only tenant and conversation TypeIDs, so no id can leave the root', async () => {
    const tenantId = newId('tenant');
    const conversationId = newId('conversation');
    for (const [t, c] of [
      ['..', conversationId],
      ['../../etc', conversationId],
      [tenantId, '../x'],
      [`ten_${'0'.repeat(25)}/`, conversationId],
      [conversationId, conversationId], // a conversation id where a tenant id belongs
      [tenantId, tenantId],
      [tenantId.toUpperCase(), conversationId],
      [`${tenantId}\n`, conversationId],
    ] as const) {
      await expect(prepareSandboxFolders(root, t, c)).rejects.toThrow();
    }
    await expect(prepareSandboxFolders('relative/root', tenantId, conversationId)).rejects.toThrow(/absolute/);
  });

  it('refuses to follow a symlink standing where a folder belongs', async () => {
    const tenantId = newId('tenant');
    const conversationId = newId('conversation');
    const target = mkdtempSync(join(tmpdir(), 'warren-workspace-target-'));
    try {
      mkdirSync(join(root, tenantId, conversationId), { recursive: true });
      symlinkSync(target, join(root, tenantId, conversationId, 'workspace'));
      await expect(prepareSandboxFolders(root, tenantId, conversationId)).rejects.toThrow(/not a directory/);
      expect(lstatSync(target).uid).toBe(process.getuid?.());
      expect(statSync(target).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});
