import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { defineTool } from './tool.ts';
import { fsError, WorkspacePathError, writableRealPath } from './workspace-paths.ts';

export const MAX_WRITE_BYTES = 1024 * 1024;

export const writeFileTool = defineTool({
  name: 'write_file',
  description: `Create or overwrite a text file in the workspace (folders are created as needed). At most ${MAX_WRITE_BYTES} bytes.`,
  input: z.object({
    path: z.string().min(1).describe('Path relative to the workspace.'),
    content: z.string().describe('The whole new content of the file.'),
  }),
  async run({ path, content }, context) {
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > MAX_WRITE_BYTES) throw new Error(`content is ${bytes} bytes; the limit is ${MAX_WRITE_BYTES}`);
    const real = await writableRealPath(context.workspace, path);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    const handle = await open(real, flags, 0o644).catch((err: unknown) => {
      throw fsError(err, path);
    });
    try {
      if (!(await handle.stat()).isFile()) throw new WorkspacePathError(`${path}: not a regular file`);
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
    return `wrote ${bytes} bytes to ${path}`;
  },
});
