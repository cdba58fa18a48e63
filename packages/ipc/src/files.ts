import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import { MAX_IPC_FILE_BYTES } from './layout.ts';

/** Writes JSON to `<dir>/.<name>.tmp-<random>` and renames it to `<dir>/<name>`: readers see all or nothing. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(4).toString('hex')}`);
  await writeFile(tmp, JSON.stringify(value), { mode: 0o644 });
  await rename(tmp, path);
}

/**
 * A refused read says what stood at the name: `file` (a regular file, opened without following
 * links; `content` is what was read of it, at most MAX_IPC_FILE_BYTES + 1 bytes), `other` (a
 * symlink, directory, FIFO or anything else, never opened or read) or `gone` (no such name).
 */
export type ReadResult<T> =
  | { ok: true; value: T }
  | { ok: false; reason: string; entry: 'file'; content: Buffer }
  | { ok: false; reason: string; entry: 'other' }
  | { ok: false; reason: string; entry: 'gone' };

/**
 * Reads one IPC file defensively: regular files only (no symlinks, FIFOs or devices), at most
 * MAX_IPC_FILE_BYTES, valid JSON, valid against `schema`. Never throws for bad content. The
 * writer may swap the name for something else at any moment, so what counts is the descriptor:
 * opened with O_NOFOLLOW, then checked with fstat.
 */
export async function readIpcFile<S extends z.ZodType>(path: string, schema: S): Promise<ReadResult<z.infer<S>>> {
  let content: Buffer;
  try {
    // A cheap first look: FIFOs and devices are never opened at all.
    if (!(await lstat(path)).isFile()) return { ok: false, reason: 'not a regular file', entry: 'other' };
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      if (!(await handle.stat()).isFile()) return { ok: false, reason: 'not a regular file', entry: 'other' };
      const buffer = Buffer.alloc(MAX_IPC_FILE_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      content = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: 'gone', entry: 'gone' };
    // ELOOP: swapped for a symlink since lstat
    return { ok: false, reason: `unreadable: ${code ?? (err as Error).message}`, entry: 'other' };
  }
  const refused = (reason: string) => ({ ok: false as const, reason, entry: 'file' as const, content });
  if (content.length > MAX_IPC_FILE_BYTES) return refused(`larger than ${MAX_IPC_FILE_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch {
    return refused('not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return refused(`schema: ${issues.join('; ')}`);
  }
  return { ok: true, value: parsed.data };
}
