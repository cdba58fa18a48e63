import { z } from 'zod';
import { describeBashRun, runBash } from './run-bash.ts';
import { defineTool } from './tool.ts';

export const bashTool = defineTool({
  name: 'bash',
  description:
    'Run a shell command with /bin/bash -c in the workspace folder (the current directory, also HOME). ' +
    'stdout and stderr come back together, cut at a size limit, followed by the exit code. ' +
    'Each call is a fresh shell; the command is killed with everything it started when it runs too long.',
  input: z.object({ command: z.string().min(1).describe('The command line, as for bash -c.') }),
  async run({ command }, context) {
    const { bashTimeoutMs, toolOutputBytes } = context.turn.limits;
    const run = await runBash(command, {
      cwd: context.workspace,
      timeoutMs: bashTimeoutMs,
      outputBytes: toolOutputBytes,
      processes: context.processes,
    });
    return describeBashRun(run, bashTimeoutMs);
  },
});
