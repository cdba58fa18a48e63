import { type FSWatcher, watch } from 'node:fs';

/** Polling interval behind fs.watch, which can miss events (some mounts never deliver them). */
export const POLL_MS = 250;

export interface FolderWatch {
  /** Resolves at the next change in the folder, or after `timeoutMs`, whichever comes first. */
  changed(timeoutMs?: number): Promise<void>;
  close(): void;
}

/**
 * Watches a folder for low-latency hand-off, with polling as the fallback. A change seen while
 * nobody waits is remembered, so a caller that lists the folder and then waits cannot miss a file
 * written in between.
 */
export function watchFolder(dir: string): FolderWatch {
  let pending = false;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  const onChange = () => {
    if (wake) wake();
    else pending = true;
  };
  try {
    watcher = watch(dir, { persistent: false }, onChange);
    watcher.on('error', () => watcher?.close()); // e.g. the folder went away: polling still works
  } catch {
    watcher = undefined; // no inotify here: poll only
  }

  return {
    changed(timeoutMs = POLL_MS) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    },
    close() {
      watcher?.close();
      wake?.();
    },
  };
}
