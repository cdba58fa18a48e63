import { resolve } from 'node:path';
import { sandboxPaths } from '@warren/ipc';
import { z } from 'zod';

// Not @warren/core's parseEnv: inside the sandbox only this app, @warren/ipc and their
// node_modules are mounted, so the runner depends on nothing else of the workspace.
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The runner's exit status for a ConfigError (EX_CONFIG, sysexits.h). */
export const CONFIG_EXIT_CODE = 78;

const folder = (fallback: string) =>
  z
    .string()
    .min(1)
    .default(fallback)
    .transform((path) => resolve(path));
const positiveMs = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const runnerConfigSchema = z
  .object({
    WARREN_IPC_DIR: folder(sandboxPaths.ipc),
    WARREN_WORKSPACE: folder(sandboxPaths.workspace),
    /** The credential proxy's unix socket: the runner's only way to the model. */
    WARREN_PROXY_SOCKET: folder(sandboxPaths.proxySocket),
    /** How long a task tool waits for the host's answer in `responses/`. */
    WARREN_TASK_RESPONSE_TIMEOUT_MS: positiveMs(30_000),
    /** SDK retries of a failed model call (429, 5xx, connection errors). */
    WARREN_MODEL_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  })
  .transform((env) => ({
    ipcDir: env.WARREN_IPC_DIR,
    workspace: env.WARREN_WORKSPACE,
    proxySocket: env.WARREN_PROXY_SOCKET,
    taskResponseTimeoutMs: env.WARREN_TASK_RESPONSE_TIMEOUT_MS,
    modelMaxRetries: env.WARREN_MODEL_MAX_RETRIES,
  }));

export type RunnerConfig = z.infer<typeof runnerConfigSchema>;

/** Parses the env once, at start. Messages name the variable, never its value. */
export function loadRunnerConfig(env: NodeJS.ProcessEnv = process.env): RunnerConfig {
  const result = runnerConfigSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
