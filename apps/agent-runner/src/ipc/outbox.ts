import { join } from 'node:path';
import { ipcFolders, type OutboundMessage, outboundMessageSchema, type TaskRequest, taskRequestSchema, writeJsonAtomic } from '@warren/ipc';
import { z } from 'zod';
import { timeOrderedName } from './file-names.ts';

// Requests the runner makes of the host mid-turn, in `messages/` and `tasks/`. Each is checked
// against the contract before it is written, so a bad value (e.g. a malformed schedule) becomes
// an error the model can read and fix rather than a file the host refuses.

export async function writeOutboundMessage(ipcDir: string, message: OutboundMessage): Promise<void> {
  const checked = checkAgainst(outboundMessageSchema, message);
  await writeJsonAtomic(join(ipcDir, ipcFolders.messages, timeOrderedName(checked.requestId)), checked);
}

export async function writeTaskRequest(ipcDir: string, request: TaskRequest): Promise<void> {
  const checked = checkAgainst(taskRequestSchema, request);
  await writeJsonAtomic(join(ipcDir, ipcFolders.tasks, timeOrderedName(checked.requestId)), checked);
}

function checkAgainst<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid request: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
