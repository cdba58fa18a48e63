import { basename, dirname } from 'node:path';
import { sandboxPaths } from '@warren/ipc';
import type { SandboxLimits } from './driver.ts';
import { sandboxUser } from './sandbox-user.ts';

export interface BwrapArgsInput {
  workspaceDir: string;
  ipcDir: string;
  proxySocket: string;
  readOnlyPaths: string[];
  /** Bound read-only at `/skills/<name>`. */
  skills?: Array<{ name: string; dir: string }>;
  env: Record<string, string>;
  limits: SandboxLimits;
  /** From systemMountArgs(): /usr and friends, read-only. */
  systemMounts: string[];
  /** Descriptors bwrap reads /etc/passwd and /etc/group from, and writes its child pid to. */
  fds: { passwd: number; group: number; info: number };
}

/** Where the proxy socket's host directory appears; sandboxPaths.proxySocket links into it. */
const proxyDirInSandbox = `${dirname(sandboxPaths.proxySocket)}/proxy`;

/** Defaults the caller's env may override; nothing of the host's environment gets in. */
const baseEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: sandboxUser.home, LANG: 'C.UTF-8' };

/**
 * bwrap's options; the command goes after them, behind `--`. Every namespace is new (no
 * network but lo, own pids, no nested user namespaces), no capabilities, an empty root with
 * only what is listed here, remounted read-only last so only /workspace, /ipc, /tmp and
 * /dev/shm are writable.
 */
export function bwrapArgs(input: BwrapArgsInput): string[] {
  const env = { ...baseEnv, ...input.env };
  return [
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--uid',
    String(sandboxUser.uid),
    '--gid',
    String(sandboxUser.gid),
    '--hostname',
    'sandbox',
    '--clearenv',
    ...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]),
    ...input.systemMounts,
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // tmpfs pages are charged to the memory cgroup; the size caps also hold under rlimits.
    '--size',
    String(Math.floor(input.limits.memoryBytes / 4)),
    '--tmpfs',
    '/dev/shm',
    '--size',
    String(input.limits.memoryBytes),
    '--tmpfs',
    '/tmp',
    '--perms',
    '0444',
    '--ro-bind-data',
    String(input.fds.passwd),
    '/etc/passwd',
    '--perms',
    '0444',
    '--ro-bind-data',
    String(input.fds.group),
    '/etc/group',
    ...input.readOnlyPaths.flatMap((path) => ['--ro-bind', path, path]),
    ...(input.skills ?? []).flatMap((skill) => ['--ro-bind', skill.dir, `${sandboxPaths.skills}/${skill.name}`]),
    '--bind',
    input.workspaceDir,
    sandboxPaths.workspace,
    '--bind',
    input.ipcDir,
    sandboxPaths.ipc,
    // The socket's directory, not the socket: bwrap binds a file by inode, and a restarted proxy
    // makes a new socket at the same path that a sandbox bound to the old one never sees. The
    // link keeps the runner's path whatever the host's socket is called.
    '--dir',
    dirname(sandboxPaths.proxySocket),
    '--ro-bind',
    dirname(input.proxySocket),
    proxyDirInSandbox,
    '--symlink',
    `${basename(proxyDirInSandbox)}/${basename(input.proxySocket)}`,
    sandboxPaths.proxySocket,
    // Not recursive: /dev's devices, /dev/shm, /tmp, /workspace and /ipc stay as they are.
    '--remount-ro',
    '/dev',
    '--remount-ro',
    '/',
    '--chdir',
    sandboxPaths.workspace,
    '--info-fd',
    String(input.fds.info),
  ];
}
