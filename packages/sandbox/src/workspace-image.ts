import { readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, lstat, open, rmdir, truncate, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SandboxSpecError } from './bind-guards.ts';
import { type MountEntry, readMountInfo, runTool, unmount, unmountLeftover } from './mounts.ts';
import { sandboxUser } from './sandbox-user.ts';

/**
 * The workspace quota: each conversation's workspace is an ext4 image, `<workspaceDir>.ext4`
 * beside its folder, loop-mounted on the folder while a sandbox runs. Chosen over a periodic
 * `du` (which stops a writer only after the fact, and would have to walk the sandbox's files)
 * and over project quotas (which need the host filesystem mounted with prjquota, and a
 * project id per conversation kept in step): the kernel refuses the write that would go past
 * the image's size, at once, with ENOSPC ("No space left on device"), the host never walks
 * the workspace, and inside the sandbox /proc/self/mountinfo shows `/dev/loopN` instead of
 * the host folder. The image is sparse, so it takes host disk only as it fills; it outlives
 * sandboxes, so the workspace persists between turns and restarts; a larger quota grows it
 * (resize2fs, offline before the mount). A smaller one is not applied to an existing image (shrinking needs the
 * data to fit and the filesystem offline). Needs root; without it there is no quota.
 */
export const workspaceImagePath = (workspaceDir: string): string => `${workspaceDir}.ext4`;

/** Mounted workspace folders of this process's live sandboxes: leftover cleanup leaves them alone. */
const liveMounts = new Set<string>();

export interface WorkspaceMount {
  readonly applied: boolean;
  /** Unmounts the image from the host (the loop device goes with it: mount -o loop sets autoclear). */
  detach(): Promise<void>;
}

const notMounted: WorkspaceMount = { applied: false, detach: async () => {} };

/** Creates, grows and mounts the workspace image of `workspaceDir`, `bytes` large. */
export async function mountWorkspaceImage(workspaceDir: string, bytes: number | undefined): Promise<WorkspaceMount> {
  if (bytes === undefined || process.getuid?.() !== 0) return notMounted;
  if (liveMounts.has(workspaceDir)) throw new Error(`workspace ${workspaceDir} is already in use by a sandbox`);
  liveMounts.add(workspaceDir);
  try {
    const image = workspaceImagePath(workspaceDir);
    await checkHostOwnedFolder(dirname(image));
    // Not this process's (liveMounts): a dead worker's, whose conversation the caller now owns.
    await unmountLeftover(workspaceDir);
    const { created } = await prepareImage(image, bytes);
    // noatime: reading files writes nothing, so an unchanged workspace needs no new snapshot;
    // discard: deleted files' blocks are holes in the image again, so snapshots stay small.
    await runTool('mount', ['-t', 'ext4', '-o', 'loop,nodev,nosuid,noatime,discard', image, workspaceDir]);
    try {
      // Nothing of the sandbox's is in a new image yet; lost+found would only clutter /workspace.
      if (created) await rmdir(`${workspaceDir}/lost+found`);
      await chown(workspaceDir, sandboxUser.uid, sandboxUser.gid);
      await chmod(workspaceDir, 0o700);
    } catch (err) {
      await unmount(workspaceDir);
      throw err;
    }
  } catch (err) {
    liveMounts.delete(workspaceDir);
    throw err;
  }
  let detached: Promise<void> | undefined;
  return {
    applied: true,
    detach: () => (detached ??= unmount(workspaceDir).finally(() => liveMounts.delete(workspaceDir))),
  };
}

/**
 * Unmounts workspace images a crashed host left mounted: every ext4 loop mount whose image is
 * `<mount point>.ext4` under `root`, except those of this process's live sandboxes. A sandbox still running
 * keeps its own copy of the mount in its namespace, so this cannot pull a workspace from under it.
 */
export async function unmountLeftoverWorkspaces(root: string): Promise<void> {
  for (const { mountPoint, source } of await ext4Mounts()) {
    // only under this host's root: another host's (another SANDBOX_ROOT) are in use, not left over
    if (!mountPoint.startsWith(`${root}/`) || liveMounts.has(mountPoint) || !source.startsWith('/dev/loop')) continue;
    if (backingFile(source) === workspaceImagePath(mountPoint)) await unmount(mountPoint);
  }
}

/** A new image is a sparse file formatted with its root owned by the sandbox user; an old one may grow. */
async function prepareImage(image: string, bytes: number): Promise<{ created: boolean }> {
  const existing = await lstat(image).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing) {
    if (!existing.isFile() || existing.uid !== 0) throw new SandboxSpecError(`${image} is not a regular file owned by root`);
    if (existing.size < bytes) await grow(image, bytes);
    return { created: false };
  }
  const handle = await open(image, 'wx', 0o600);
  try {
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
  try {
    // -m 0: no blocks reserved for root, who never writes there; the sandbox gets the whole quota.
    await runTool('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `root_owner=${sandboxUser.uid}:${sandboxUser.gid}`, image]);
  } catch (err) {
    await unlink(image);
    throw err;
  }
  return { created: true };
}

/**
 * Grows an image to `bytes`, offline (the kernel here refuses online resizing): check, then
 * resize. Only while no loop device holds the image, i.e. no sandbox has it mounted; otherwise
 * the larger quota waits for the next start.
 */
async function grow(image: string, bytes: number): Promise<void> {
  if (loopDevices().some((device) => backingFile(device) === image)) return;
  await truncate(image, bytes);
  await runTool('e2fsck', ['-f', '-p', image]).catch((err: { code?: number }) => {
    if (err.code !== 1) throw err; // 1: errors found and fixed
  });
  await runTool('resize2fs', [image]);
}

/** The image sits in a folder only the host can change, or a sandbox could hand the kernel a filesystem of its making. */
async function checkHostOwnedFolder(dir: string): Promise<void> {
  const st = await lstat(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new SandboxSpecError(`${dir} must be a folder owned by root and writable by no one else, to hold a workspace image`);
  }
}

async function ext4Mounts(): Promise<MountEntry[]> {
  return (await readMountInfo()).filter((m) => m.fstype === 'ext4');
}

function loopDevices(): string[] {
  return readdirSync('/sys/block')
    .filter((name) => name.startsWith('loop'))
    .map((name) => `/dev/${name}`);
}

function backingFile(device: string): string | undefined {
  try {
    return readFileSync(`/sys/block/${device.slice('/dev/'.length)}/loop/backing_file`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
