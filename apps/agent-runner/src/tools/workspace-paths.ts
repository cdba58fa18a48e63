import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';

// Confinement of the file tools to the workspace. Paths are checked twice: lexically (no
// absolute path elsewhere, no `..` out) and after resolving symlinks (no link planted in the
// workspace that points out of it). Files are then opened by their real path with O_NOFOLLOW, so
// the last component cannot be swapped for a symlink in between. The sandbox's mounts remain the
// real boundary; this keeps the tools honest inside it.

export class WorkspacePathError extends Error {
  override name = 'WorkspacePathError';
}

export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep));
}

/** The model's path, relative to the workspace or absolute inside it. */
export function resolveInWorkspace(workspace: string, path: string): string {
  if (path.includes('\0')) throw new WorkspacePathError(`${path}: not a valid path`);
  const full = resolve(workspace, path);
  if (!isInside(workspace, full)) throw new WorkspacePathError(`${path}: outside the workspace`);
  return full;
}

/** The real path of an existing file or folder, which must be inside the workspace too. */
export async function existingRealPath(workspace: string, path: string): Promise<string> {
  const real = await realpath(resolveInWorkspace(workspace, path)).catch((err: unknown) => {
    throw fsError(err, path);
  });
  if (!isInside(workspace, real)) throw new WorkspacePathError(`${path}: leads outside the workspace (symlink)`);
  return real;
}

/**
 * Where to write `path`: its folders are created inside the workspace, and the real path
 * returned is checked to be inside it too. An existing symlink is followed only to a target
 * inside the workspace; a dangling one is refused (writing would create its target, wherever).
 */
export async function writableRealPath(workspace: string, path: string): Promise<string> {
  const full = resolveInWorkspace(workspace, path);
  if (full === workspace) throw new WorkspacePathError(`${path}: is the workspace folder`);
  await existingAncestorInside(workspace, dirname(full), path);
  await mkdir(dirname(full), { recursive: true }).catch((err: unknown) => {
    throw fsError(err, path);
  });
  const parent = await realpath(dirname(full));
  if (!isInside(workspace, parent)) throw new WorkspacePathError(`${path}: leads outside the workspace (symlink)`);
  const target = resolve(parent, basename(full));
  const info = await lstat(target).catch((err: unknown) => {
    if (errorCode(err) === 'ENOENT') return undefined; // a new file
    throw fsError(err, path);
  });
  if (!info?.isSymbolicLink()) return target;
  const real = await realpath(target).catch((err: unknown) => {
    throw errorCode(err) === 'ENOENT' ? new WorkspacePathError(`${path}: a symlink to a missing target`) : fsError(err, path);
  });
  if (!isInside(workspace, real)) throw new WorkspacePathError(`${path}: leads outside the workspace (symlink)`);
  return real;
}

/** Checks the deepest folder of `dir` that exists, before any folder is created beneath it. */
async function existingAncestorInside(workspace: string, dir: string, shown: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const real = await realpath(current).catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return undefined; // not there yet: look higher up
      throw fsError(err, shown);
    });
    if (real !== undefined) {
      if (!isInside(workspace, real)) throw new WorkspacePathError(`${shown}: leads outside the workspace (symlink)`);
      return;
    }
    if (current === workspace || dirname(current) === current) return;
  }
}

const errnoText: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'is a symlink (or a loop of them)',
  ENXIO: 'not a regular file',
  EEXIST: 'already exists',
  ENOSPC: 'no space left',
  EROFS: 'read-only',
};

/** A file-system error as the model should see it: the path it gave, not the runner's paths. */
export function fsError(err: unknown, shown: string): Error {
  if (err instanceof WorkspacePathError) return err;
  const code = errorCode(err);
  return new WorkspacePathError(`${shown}: ${(code && errnoText[code]) ?? code ?? 'failed'}`);
}

const errorCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;
