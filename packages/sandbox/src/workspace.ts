import { chmod, lchown, lstat, mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { idSchema } from '@warren/core';
import { ipcFolders } from '@warren/ipc';
import { sandboxUser } from './sandbox-user.ts';

export interface SandboxFolders {
  /** Mounted read-write at /workspace; owned by the sandbox user. */
  workspaceDir: string;
  /** Mounted at /ipc; its sub-folders are the sandbox user's. */
  ipcDir: string;
}

/**
 * Creates (or repairs) a conversation's host folders under `root`:
 *
 *   <root>/<tenantId>/                      root, 0711: traversable, not listable
 *   <root>/<tenantId>/<conversationId>/     root, 0711
 *     workspace/                            sandbox user, 0700
 *     ipc/                                  root, 0755: the sandbox cannot swap its sub-folders
 *       input/ messages/ tasks/ …           sandbox user, 0700
 *       errors/                             root, 0700: host only
 *
 * The ids are TypeIDs checked strictly, so neither can climb out of `root`. An existing entry
 * that is not a real directory (a symlink planted by a sandbox) is refused, never followed.
 */
export async function prepareSandboxFolders(root: string, tenantId: string, conversationId: string): Promise<SandboxFolders> {
  if (!isAbsolute(root)) throw new Error('sandbox folder root must be an absolute path');
  const tenant = idSchema('tenant').parse(tenantId);
  const conversation = idSchema('conversation').parse(conversationId);
  const base = resolve(root);
  await mkdir(base, { recursive: true });
  const tenantDir = join(base, tenant);
  const conversationDir = join(tenantDir, conversation);
  const workspaceDir = join(conversationDir, 'workspace');
  const ipcDir = join(conversationDir, 'ipc');
  await owned(tenantDir, 'host', 0o711);
  await owned(conversationDir, 'host', 0o711);
  await owned(workspaceDir, 'sandbox', 0o700);
  await owned(ipcDir, 'host', 0o755);
  await prepareIpcFolders(ipcDir);
  return { workspaceDir, ipcDir };
}

/** The IPC sub-folders: the sandbox user's, but errors/, the host's record of what it refused. */
export async function prepareIpcFolders(ipcDir: string): Promise<void> {
  for (const folder of Object.values(ipcFolders)) {
    await owned(join(ipcDir, folder), folder === ipcFolders.errors ? 'host' : 'sandbox', 0o700);
  }
}

async function owned(dir: string, owner: 'host' | 'sandbox', mode: number): Promise<void> {
  await ensureDirectory(dir);
  if (process.getuid?.() === 0) {
    const id = owner === 'sandbox' ? sandboxUser : { uid: 0, gid: 0 };
    await lchown(dir, id.uid, id.gid);
  }
  await chmod(dir, mode);
}

async function ensureDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} exists and is not a directory (refusing to follow it)`);
}
