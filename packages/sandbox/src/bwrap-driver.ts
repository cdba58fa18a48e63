import { type ChildProcess, spawn } from 'node:child_process';
import { createLogger, type Logger } from '@warren/core';
import {
  checkBindSources,
  checkConnectableBySandboxUser,
  checkReachableBySandboxUser,
  checkReadOnlyPaths,
  SandboxSpecError,
} from './bind-guards.ts';
import { bwrapArgs } from './bwrap-args.ts';
import { type AppliedLimits, type SandboxDriver, type SandboxProcess, type SandboxSpec, sandboxSpecSchema } from './driver.ts';
import { checkBwrapVersion, findExecutable, HOST_PATH } from './host-tools.ts';
import { ResourceLimits, type ResourceLimitsOptions, type SandboxLimitsHandle } from './resource-limits.ts';
import { attachSandbox, BWRAP_FDS, LAUNCHER_STDIO } from './sandbox-process.ts';
import { sandboxUser } from './sandbox-user.ts';
import { systemMountArgs } from './system-mounts.ts';
import { mountWorkspaceImage, unmountLeftoverWorkspaces } from './workspace-image.ts';

export interface BwrapDriverOptions extends ResourceLimitsOptions {
  /** Default: `bwrap` found on PATH. */
  bwrapPath?: string;
  /** Default: `setpriv` found on PATH; only used when the host runs as root. */
  setprivPath?: string;
  /** For what goes wrong outside a call (a sandbox's teardown, its launcher's pipes); default: a logger of its own. */
  logger?: Logger;
}

/**
 * The launcher, in bash. It first closes every descriptor it inherited beyond bwrap's (bwrap
 * passes unknown descriptors through, and the host may hold some it inherited itself), then
 * writes its own pid into each cgroup before anything else happens, then becomes the sandbox
 * (prlimit → setpriv → bwrap, all exec): nothing runs outside the groups, not even for an
 * instant. Arguments: the cgroup.procs files, `--`, then the argv to exec.
 */
const LAUNCHER = [
  `for fd in /proc/$$/fd/*; do n=\${fd##*/}; if [ "$n" -gt ${BWRAP_FDS.args} ]; then eval "exec $n>&-"; fi; done`,
  'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done',
  'shift',
  // bwrap's own pid 1 keeps this environment: nothing of the host in it.
  'unset PWD OLDPWD SHLVL',
  'exec "$@"',
].join('\n');

/**
 * Sandboxes with bubblewrap. When the host is root, bwrap itself runs as the unprivileged
 * sandbox user (setpriv), so the sandbox's uid is 65534 on the host too: run as root, bwrap's
 * user namespace would map the sandbox user to host root, and every root-owned file it can see
 * would be its own.
 */
export class BwrapDriver implements SandboxDriver {
  readonly name = 'bwrap';
  private readonly limits: ResourceLimits;
  private readonly bwrap: string;
  private readonly bash: string;
  private readonly setpriv: string | undefined;
  private readonly asRoot = process.getuid?.() === 0;
  private readonly logger: Logger;
  private systemMounts: string[] | undefined;
  private versionChecked: Promise<void> | undefined;

  constructor(options: BwrapDriverOptions = {}) {
    this.limits = new ResourceLimits(options);
    this.logger = options.logger ?? createLogger('sandbox-driver');
    this.bwrap = options.bwrapPath ?? findExecutable('bwrap');
    this.bash = findExecutable('bash');
    this.setpriv = this.asRoot ? (options.setprivPath ?? findExecutable('setpriv')) : undefined;
  }

  async start(input: SandboxSpec): Promise<SandboxProcess> {
    const parsed = sandboxSpecSchema.safeParse(input);
    if (!parsed.success) throw new SandboxSpecError(`invalid sandbox spec: ${parsed.error.message}`);
    const spec = parsed.data;
    checkBindSources(spec);
    checkReadOnlyPaths(spec.readOnlyPaths, [spec.workspaceDir, spec.ipcDir, spec.proxySocket]);
    if (this.asRoot) {
      checkReachableBySandboxUser([spec.workspaceDir, spec.ipcDir, spec.proxySocket, ...spec.readOnlyPaths]);
      checkConnectableBySandboxUser(spec.proxySocket);
    }
    this.versionChecked ??= checkBwrapVersion(this.bwrap);
    await this.versionChecked;
    this.systemMounts ??= systemMountArgs();

    const limits = await this.withWorkspace(await this.limits.apply(spec, spec.limits), spec);
    const dropToSandboxUser = this.setpriv
      ? [this.setpriv, '--reuid', String(sandboxUser.uid), '--regid', String(sandboxUser.gid), '--clear-groups', '--']
      : [];
    // bwrap's options go through a descriptor: argv is world-readable in the host's process
    // list and would show the sandbox's token and the host's folders. bwrap reads only options
    // that way, so the command stays in argv.
    // --norc: with a socket on stdin (the lifeline, see LAUNCHER_STDIO) bash thinks it was started
    // by a remote shell daemon and would read the host user's ~/.bashrc.
    const argv = ['--norc', '-c', LAUNCHER, 'warren-sandbox', ...limits.joinFiles, '--', ...limits.execPrefix, ...dropToSandboxUser];
    argv.push(this.bwrap, '--args', String(BWRAP_FDS.args), '--', ...spec.command);
    let child: ChildProcess;
    try {
      // detached: the host's terminal signals must not reach sandboxes; the host decides when they end.
      child = spawn(this.bash, argv, { stdio: [...LAUNCHER_STDIO], env: { PATH: HOST_PATH }, cwd: '/', detached: true });
    } catch (err) {
      await limits.release();
      throw err;
    }
    return attachSandbox(
      child,
      spec.sandboxId,
      limits,
      bwrapArgs({ ...spec, systemMounts: this.systemMounts, fds: BWRAP_FDS }),
      this.logger,
    );
  }

  async cleanupLeftovers(root: string, options: { mounts?: boolean } = {}): Promise<void> {
    await this.limits.cleanupLeftovers();
    if (options.mounts !== false) await unmountLeftoverWorkspaces(root);
  }

  /**
   * Mounts the workspace image (the quota) for the sandbox's lifetime: released after the
   * groups, when nothing inside can write any more. A failed mount releases the groups.
   */
  private async withWorkspace(limits: SandboxLimitsHandle, spec: SandboxSpec): Promise<SandboxLimitsHandle & { applied: AppliedLimits }> {
    let workspace;
    try {
      workspace = await mountWorkspaceImage(spec.workspaceDir, spec.limits.workspaceBytes);
    } catch (err) {
      await limits.release();
      throw err;
    }
    return {
      ...limits,
      applied: { ...limits.applied, workspace: workspace.applied },
      release: async () => {
        await limits.release();
        await workspace
          .detach()
          .catch((err: unknown) => this.logger.error({ err, sandboxId: spec.sandboxId }, 'could not unmount the workspace image'));
      },
    };
  }
}
