import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type IpcResponse, ipcFolders, ipcResponseSchema, readIpcFile } from '@warren/ipc';
import { POLL_MS, watchFolder } from './folder-watch.ts';

export class ResponseTimeoutError extends Error {
  override name = 'ResponseTimeoutError';
}

/**
 * Waits for the host's answer `responses/<requestId>.json`, reads it and deletes it. Throws on
 * timeout or when the file is not a valid response to this request.
 */
export async function awaitResponse(ipcDir: string, requestId: string, timeoutMs: number): Promise<IpcResponse> {
  const dir = join(ipcDir, ipcFolders.responses);
  const path = join(dir, `${requestId}.json`);
  const deadline = Date.now() + timeoutMs;
  const watch = watchFolder(dir);
  try {
    while (!(await exists(path))) {
      const left = deadline - Date.now();
      if (left <= 0) throw new ResponseTimeoutError(`no answer from the host within ${timeoutMs} ms`);
      await watch.changed(Math.min(left, POLL_MS));
    }
  } finally {
    watch.close();
  }
  const read = await readIpcFile(path, ipcResponseSchema);
  await rm(path, { force: true, recursive: true });
  if (!read.ok) throw new Error(`the host's answer is unreadable: ${read.reason}`);
  if (read.value.requestId !== requestId) throw new Error("the host's answer names another request");
  return read.value;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // not answered yet
    throw err;
  }
}
