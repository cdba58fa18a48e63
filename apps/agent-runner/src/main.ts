import { realpath, stat } from 'node:fs/promises';
import { CONFIG_EXIT_CODE, ConfigError, loadRunnerConfig } from './config.ts';
import { proxiedModel } from './model.ts';
import { runAgent } from './runner.ts';
import { ProcessGroups } from './tools/index.ts';

const log = (line: string) => process.stderr.write(`agent-runner: ${line}\n`);
const processes = new ProcessGroups();

/** Asked to stop: no clean-up worth waiting for, but bash's process groups are not ours to leave behind. */
const stop = () => {
  processes.killAll();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The host holds the other end of stdin and never writes (LAUNCHER_STDIO in @warren/sandbox):
// end-of-file means the worker is gone, and so must this sandbox be — bwrap then ends the rest.
process.stdin.once('end', stop);
process.stdin.resume();

try {
  const config = loadRunnerConfig();
  const workspace = await existingFolder(config.workspace, 'WARREN_WORKSPACE');
  const ipcDir = await existingFolder(config.ipcDir, 'WARREN_IPC_DIR');
  const model = proxiedModel({ proxySocket: config.proxySocket, maxRetries: config.modelMaxRetries });
  await runAgent({ ipcDir, workspace, model, processes, taskResponseTimeoutMs: config.taskResponseTimeoutMs, log });
  processes.killAll();
  process.exit(0);
} catch (err) {
  processes.killAll();
  if (err instanceof ConfigError) {
    log(err.message);
    process.exit(CONFIG_EXIT_CODE);
  }
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}

/** A folder the runner needs, by its real path (the file tools compare real paths). */
async function existingFolder(path: string, variable: string): Promise<string> {
  const real = await realpath(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined; // reported as not existing, below
    throw err;
  });
  if (real === undefined || !(await stat(real)).isDirectory()) {
    throw new ConfigError(`invalid configuration:\n  ${variable}: not an existing folder`);
  }
  return real;
}
