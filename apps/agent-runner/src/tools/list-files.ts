import { opendir, stat } from 'node:fs/promises';
import { z } from 'zod';
import { CappedOutput } from './capped-output.ts';
import { defineTool } from './tool.ts';
import { existingRealPath, fsError, WorkspacePathError } from './workspace-paths.ts';

/** Entries read from one folder at most; a folder with more says so instead of listing them all. */
const MAX_ENTRIES = 10_000;

export const listFilesTool = defineTool({
  name: 'list_files',
  description: 'List a folder in the workspace (not recursive): folders end with /, symlinks with @.',
  input: z.object({ path: z.string().min(1).optional().describe('Folder relative to the workspace; default: the workspace.') }),
  async run({ path = '.' }, context) {
    const real = await existingRealPath(context.workspace, path);
    if (!(await stat(real)).isDirectory()) throw new WorkspacePathError(`${path}: not a folder`);
    const names: string[] = [];
    let more = false;
    try {
      for await (const entry of await opendir(real)) {
        if (names.length === MAX_ENTRIES) {
          more = true;
          break;
        }
        names.push(entry.isDirectory() ? `${entry.name}/` : entry.isSymbolicLink() ? `${entry.name}@` : entry.name);
      }
    } catch (err) {
      throw fsError(err, path);
    }
    if (names.length === 0) return '(empty folder)';
    const output = new CappedOutput(context.turn.limits.toolOutputBytes);
    output.push(Buffer.from(names.sort().join('\n')));
    return more ? `${output.text()}\n[only the first ${MAX_ENTRIES} entries were read]` : output.text();
  },
});
