import { chmod, lchown, lstat, mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { idSchema } from '@warren/core';
import { ipcFolders } from '@warren/ipc';
import { readMountInfo } from './mounts.ts';
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
  const { base, tenantDir, conversationDir, workspaceDir, ipcDir } = sandboxPaths(root, tenantId, conversationId);
  await mkdir(base, { recursive: true });
  await owned(tenantDir, 'host', 0o711);
  await owned(conversationDir, 'host', 0o711);
  await owned(workspaceDir, 'sandbox', 0o700);
  await owned(ipcDir, 'host', 0o755);
  await prepareIpcFolders(ipcDir);
  return { workspaceDir, ipcDir };
}

/** A conversation's host folders under `root` (see prepareSandboxFolders), without touching them. */
export function sandboxPaths(root: string, tenantId: string, conversationId: string) {
  if (!isAbsolute(root)) throw new Error('sandbox folder root must be an absolute path');
  const base = resolve(root);
  const tenantDir = join(base, idSchema('tenant').parse(tenantId));
  const conversationDir = join(tenantDir, idSchema('conversation').parse(conversationId));
  return { base, tenantDir, conversationDir, workspaceDir: join(conversationDir, 'workspace'), ipcDir: join(conversationDir, 'ipc') };
}

/** The host-written files of a conversation's folder, by name: the workspace image and its version. */
const HOST_FILES = ['workspace.ext4', 'workspace.version', 'workspace.version.tmp'];
/** What the host writes into errors/ and restore staging folders: nothing else is unlinked there. */
const REFUSAL_RECORD = /^refused-\d+\.json$/;
const RESTORE_STAGING = /^\.restore-/;

/**
 * Removes a deleted conversation's host folders, which no sandbox of it may be using. Only what
 * the host itself wrote is unlinked, by name — the workspace image, its version, refusal records,
 * a crashed restore's staging copy — and only empty folders are removed: nothing is walked or
 * deleted recursively, since the folders' contents may be the sandbox's. As root, a sandbox's
 * files live inside the image (and /ipc is a tmpfs gone with the sandbox), so this removes
 * everything; without root the workspace is a plain folder of the sandbox's, and is left
 * (`left-over`, for ops to remove). `in-use`: a workspace or /ipc is still mounted (a sandbox of
 * another worker on this host).
 */
export async function removeSandboxFolders(
  root: string,
  tenantId: string,
  conversationId: string,
): Promise<'removed' | 'in-use' | 'left-over'> {
  const { conversationDir, workspaceDir, ipcDir } = sandboxPaths(root, tenantId, conversationId);
  const mounted = new Set((await readMountInfo()).map((m) => m.mountPoint));
  if (mounted.has(workspaceDir) || mounted.has(ipcDir)) return 'in-use';
  const errorsDir = join(ipcDir, ipcFolders.errors);
  for (const name of await hostEntries(errorsDir)) if (REFUSAL_RECORD.test(name)) await unlinkFile(join(errorsDir, name));
  for (const name of await hostEntries(conversationDir)) {
    if (!RESTORE_STAGING.test(name)) continue;
    await unlinkFile(join(conversationDir, name, 'workspace.ext4'));
    if (!(await removeEmpty(join(conversationDir, name)))) return 'left-over';
  }
  for (const name of HOST_FILES) await unlinkFile(join(conversationDir, name));
  const folders = [...Object.values(ipcFolders).map((f) => join(ipcDir, f)), ipcDir, workspaceDir, conversationDir];
  for (const dir of folders) if (!(await removeEmpty(dir))) return 'left-over';
  return 'removed';
}

/** Removes a deleted tenant's folder once its conversations' are gone; false while it is not empty. */
export function removeTenantFolder(root: string, tenantId: string): Promise<boolean> {
  return removeEmpty(join(resolve(root), idSchema('tenant').parse(tenantId)));
}

/** Names in a host-owned folder (root's, so a sandbox cannot have swapped it for a link); none when it is gone. */
async function hostEntries(dir: string): Promise<string[]> {
  try {
    const st = await lstat(dir);
    if (!st.isDirectory() || (process.getuid?.() === 0 && st.uid !== 0)) return [];
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Unlinks a regular file (never a folder, never through a link: unlink removes the name only). */
async function unlinkFile(path: string): Promise<void> {
  try {
    if (!(await lstat(path)).isFile()) return;
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** rmdir: true when the folder is gone, false when it is not empty. */
async function removeEmpty(dir: string): Promise<boolean> {
  try {
    await rmdir(dir);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') return false;
    throw err;
  }
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
