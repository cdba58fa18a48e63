import { spawn } from 'node:child_process';
import { lstat, mkdtemp, readFile, rename, rmdir, statfs, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { findExecutable, HOST_PATH } from './host-tools.ts';
import { readMountInfo, runTool } from './mounts.ts';
import { workspaceImagePath } from './workspace-image.ts';

// A workspace follows its conversation between hosts as a copy of its IMAGE file — a regular
// file the host owns — never by walking the files inside it (the sandbox's, and hostile). The
// image is sparse, so tar --sparse reads only its data extents; zstd packs what is left.
// Consistency: the filesystem is frozen (fsfreeze) while tar reads the image, so the copy is
// what a clean unmount would leave, even with a process of the agent still writing.

export class WorkspaceSnapshotTooLarge extends Error {
  override name = 'WorkspaceSnapshotTooLarge';
}

/**
 * What the workspace's filesystem has written to its image so far, after a sync: ext4's
 * lifetime write counter and the image file's mtime (the loop device's writes touch it), two
 * signals of one fact, so neither alone can hide a change. Undefined when the workspace is no
 * mounted image (no quota, not root). A turn that leaves it unchanged changed no file: no
 * snapshot. Mounted with noatime, so reading files counts for nothing.
 */
export async function workspaceWrites(workspaceDir: string): Promise<string | undefined> {
  const device = await imageDevice(workspaceDir);
  if (!device) return undefined;
  await runTool('sync', ['-f', workspaceDir]);
  const kbytes = (await readFile(`/sys/fs/ext4/${device}/lifetime_write_kbytes`, 'utf8')).trim();
  const { mtimeNs } = await lstat(workspaceImagePath(workspaceDir), { bigint: true });
  return `${kbytes}:${mtimeNs}`;
}

/** Less room left than this and a write of the agent's has met ENOSPC (or is about to): the quota is hit. */
const FULL_BELOW_BYTES = 1024 * 1024;

/** Whether the workspace image is (about) full; false when the workspace is no mounted image. */
export async function workspaceFull(workspaceDir: string): Promise<boolean> {
  if (!(await imageDevice(workspaceDir))) return false;
  const fs = await statfs(workspaceDir);
  return fs.bavail * fs.bsize < FULL_BELOW_BYTES;
}

/** The image, frozen for the copy; at most `maxBytes` compressed. */
export async function snapshotWorkspace(workspaceDir: string, maxBytes: number): Promise<Buffer> {
  if (!(await imageDevice(workspaceDir))) throw new Error(`${workspaceDir} is not a mounted workspace image`);
  const image = workspaceImagePath(workspaceDir);
  await runTool('fsfreeze', ['-f', workspaceDir]);
  try {
    return await pipeTool('tar', ['--sparse', '--zstd', '-cf', '-', '-C', dirname(image), basename(image)], undefined, maxBytes);
  } finally {
    await runTool('fsfreeze', ['-u', workspaceDir]);
  }
}

/**
 * Replaces the (unmounted) image of `workspaceDir` with a snapshot: unpacked beside it into a
 * fresh host-owned folder, checked to be one regular file, and renamed into place, so a crash
 * midway leaves the old image whole. Only the one member is taken from the archive.
 */
export async function restoreWorkspace(workspaceDir: string, data: Buffer): Promise<void> {
  const image = workspaceImagePath(workspaceDir);
  const staging = await mkdtemp(join(dirname(image), '.restore-'));
  const unpacked = join(staging, basename(image));
  try {
    await pipeTool('tar', ['--zstd', '-xf', '-', '-C', staging, '--no-same-owner', '--no-same-permissions', basename(image)], data, 0);
    const st = await lstat(unpacked);
    if (!st.isFile() || st.nlink !== 1) throw new Error('a workspace snapshot must hold one regular file');
    await rename(unpacked, image);
  } finally {
    await rmUnpacked(unpacked);
    await rmdir(staging);
  }
}

/** The snapshot version the local image holds, kept beside it; null when unknown. */
export async function localWorkspaceVersion(workspaceDir: string): Promise<number | null> {
  try {
    return Number((await readFile(versionPath(workspaceDir), 'utf8')).trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function setLocalWorkspaceVersion(workspaceDir: string, version: number): Promise<void> {
  const path = versionPath(workspaceDir);
  await writeFile(`${path}.tmp`, String(version), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}

const versionPath = (workspaceDir: string) => `${workspaceDir}.version`;

/** The loop device (e.g. loop3) of the workspace image mounted on `workspaceDir`, if it is. */
async function imageDevice(workspaceDir: string): Promise<string | undefined> {
  const mount = (await readMountInfo()).findLast((m) => m.mountPoint === workspaceDir);
  if (mount?.fstype !== 'ext4' || !mount.source.startsWith('/dev/loop')) return undefined;
  const device = mount.source.slice('/dev/'.length);
  const backing = await readFile(`/sys/block/${device}/loop/backing_file`, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return backing.trim() === workspaceImagePath(workspaceDir) ? device : undefined;
}

async function rmUnpacked(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Runs a host tool with `input` on stdin; its stdout, refused past `maxBytes` (0: no cap). */
function pipeTool(name: string, args: string[], input: Buffer | undefined, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // level 1: a snapshot is taken on the turn's path, speed matters more than the last byte
    const child = spawn(findExecutable(name), args, { env: { PATH: HOST_PATH, ZSTD_CLEVEL: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let tooLarge = false;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (maxBytes > 0 && size > maxBytes && !tooLarge) {
        tooLarge = true;
        child.kill('SIGKILL');
      }
      if (!tooLarge) chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (tooLarge) return reject(new WorkspaceSnapshotTooLarge(`the workspace snapshot is larger than its limit of ${maxBytes} bytes`));
      if (code !== 0) return reject(new Error(`${name} failed (${signal ?? code}): ${stderr.trim()}`));
      resolve(Buffer.concat(chunks));
    });
    child.stdin.on('error', reject);
    child.stdin.end(input);
  });
}
