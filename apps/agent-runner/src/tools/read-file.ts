import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { defineTool } from './tool.ts';
import { existingRealPath, fsError, WorkspacePathError } from './workspace-paths.ts';

export const readFileTool = defineTool({
  name: 'read_file',
  description: 'Read a text file in the workspace. Long files are cut at a size limit, with a note saying so.',
  input: z.object({ path: z.string().min(1).describe('Path relative to the workspace.') }),
  async run({ path }, context) {
    const cap = context.turn.limits.toolOutputBytes;
    const real = await existingRealPath(context.workspace, path);
    // O_NONBLOCK: opening a FIFO must not hang the turn; it is refused just below
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((err: unknown) => {
      throw fsError(err, path);
    });
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new WorkspacePathError(`${path}: is a folder (use list_files)`);
      if (!info.isFile()) throw new WorkspacePathError(`${path}: not a regular file`);
      const buffer = Buffer.alloc(Math.min(cap, info.size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      const text = buffer.subarray(0, bytesRead).toString('utf8');
      return info.size > bytesRead ? `${text}\n[file truncated: first ${bytesRead} of ${info.size} bytes shown]` : text;
    } finally {
      await handle.close();
    }
  },
});
