import { join } from 'node:path';
import { ipcFolders, type RunnerEvent, runnerEventSchema, writeJsonAtomic } from '@warren/ipc';
import { timeOrderedName } from './file-names.ts';

export type EventWriter = (event: RunnerEvent) => Promise<void>;

/** Writes runner events to `events/<time>-<seq>-<type>.json`, checked against the contract first. */
export function eventWriter(ipcDir: string): EventWriter {
  const dir = join(ipcDir, ipcFolders.events);
  return async (event) => {
    const checked = runnerEventSchema.parse(event);
    await writeJsonAtomic(join(dir, timeOrderedName(checked.type)), checked);
  };
}
