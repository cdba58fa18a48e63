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

export type ReadResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Reads one IPC file defensively: regular files only (no symlinks, FIFOs or devices), at most
 * MAX_IPC_FILE_BYTES, valid JSON, valid against `schema`. Never throws for bad content.
 */
export async function readIpcFile<S extends z.ZodType>(path: string, schema: S): Promise<ReadResult<z.infer<S>>> {
  let raw: string;
  try {
    const info = await lstat(path);
    if (!info.isFile()) return { ok: false, reason: 'not a regular file' };
    if (info.size > MAX_IPC_FILE_BYTES) return { ok: false, reason: `larger than ${MAX_IPC_FILE_BYTES} bytes` };
    // O_NOFOLLOW: the file may have been swapped for a symlink since lstat
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const buffer = Buffer.alloc(MAX_IPC_FILE_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_IPC_FILE_BYTES) return { ok: false, reason: `larger than ${MAX_IPC_FILE_BYTES} bytes` };
      raw = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    return { ok: false, reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { ok: false, reason: `schema: ${issues.join('; ')}` };
  }
  return { ok: true, value: parsed.data };
}
