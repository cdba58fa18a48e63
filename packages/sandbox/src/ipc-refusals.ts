import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@warren/core';
import { writeJsonAtomic } from '@warren/ipc';
import { LogBudget } from './log-budget.ts';

/** Records kept in `errors/`: a ring, so a sandbox writing junk cannot fill the host's disk. */
const RECORD_SLOTS = 100;
/** Bytes of a refused file's content kept in its record. */
const EXCERPT_BYTES = 2048;
/** Names left in place (not regular files) remembered per channel, so each is logged once. */
const REMEMBERED_NAMES = 1000;

export type Refused = { entry: 'file'; content: Buffer } | { entry: 'other' };

/**
 * What the host does with an IPC file it refuses. The IPC folders belong to the sandbox, which
 * may swap any name for a symlink or a directory at any moment, so the host never moves,
 * follows or recurses into them with its privileges: a refused regular file (already read
 * through a descriptor) is recorded with an excerpt of what was read in a host-named record in
 * `errors/`, then its name is unlinked (unlink never follows a link and fails on a directory);
 * anything else is left where it is for the sandbox's own teardown, and remembered so the next
 * poll skips it. Records are a ring of RECORD_SLOTS; log lines are rate-limited.
 */
export class IpcRefusals {
  private readonly dir: string;
  private readonly errorsDir: string;
  private readonly logger: Logger;
  private readonly logs: LogBudget;
  private readonly leftInPlace = new Set<string>();
  private recorded = 0;

  constructor(options: { ipcDir: string; errorsDir: string; logger: Logger }) {
    this.dir = options.ipcDir;
    this.errorsDir = options.errorsDir;
    this.logger = options.logger;
    this.logs = new LogBudget(options.logger, 'log lines held back by the rate limit');
  }

  /** True for a name already refused and left in place. */
  isLeftInPlace(folder: string, name: string): boolean {
    return this.leftInPlace.has(`${folder}/${name}`);
  }

  async refuse(folder: string, name: string, reason: string, refused: Refused, details: Record<string, unknown> = {}): Promise<void> {
    const leave = refused.entry === 'other' || !(await unlinkName(join(this.dir, folder, name)));
    if (leave) this.remember(`${folder}/${name}`);
    const action = leave ? 'left in place' : 'removed';
    this.logs.warn({ folder, file: name, reason, action, ...details }, 'refused ipc file');
    await this.record({ folder, file: name, reason, action, ...details, ...(refused.entry === 'file' ? excerpt(refused.content) : {}) });
  }

  /** Logs what the rate limit held back. */
  flush(): void {
    this.logs.flush();
  }

  private remember(key: string): void {
    if (this.leftInPlace.size >= REMEMBERED_NAMES) this.leftInPlace.delete(this.leftInPlace.values().next().value!);
    this.leftInPlace.add(key);
  }

  private async record(record: Record<string, unknown>): Promise<void> {
    const slot = String(this.recorded++ % RECORD_SLOTS).padStart(3, '0');
    await writeJsonAtomic(join(this.errorsDir, `refused-${slot}.json`), { ...record, at: new Date().toISOString() });
  }
}

/**
 * Removes a name in a sandbox's folder. Unlink never follows a link; a name that is (by now) a
 * directory fails with EISDIR and stays. True when the name is gone.
 */
export async function unlinkName(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'EISDIR' || code === 'EPERM') return false;
    throw err;
  }
}

function excerpt(content: Buffer): { bytesRead: number; excerpt: string } {
  return { bytesRead: content.length, excerpt: content.subarray(0, EXCERPT_BYTES).toString('utf8') };
}
