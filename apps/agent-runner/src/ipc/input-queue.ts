import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ipcFolders } from '@warren/ipc';
import { isTemporary } from './file-names.ts';
import { watchFolder } from './folder-watch.ts';

export interface InputQueue {
  /** The name of the first file in `input/` by name order, waiting until there is one. */
  next(): Promise<string>;
  /** Deletes a consumed input. One that cannot be deleted is ignored from then on, not replayed. */
  remove(name: string): Promise<void>;
  close(): void;
}

export function inputQueue(ipcDir: string): InputQueue {
  const dir = join(ipcDir, ipcFolders.input);
  const watch = watchFolder(dir);
  const undeletable = new Set<string>();

  return {
    async next() {
      for (;;) {
        const names = (await readdir(dir)).filter((name) => !isTemporary(name) && !undeletable.has(name)).sort();
        const first = names[0];
        if (first !== undefined) return first;
        await watch.changed();
      }
    },
    async remove(name) {
      try {
        // recursive: the host may have put a folder here by mistake; rm never follows a symlink
        await rm(join(dir, name), { force: true, recursive: true });
      } catch {
        undeletable.add(name);
      }
    },
    close: () => watch.close(),
  };
}
