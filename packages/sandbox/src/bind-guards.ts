import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { sandboxPaths } from '@warren/ipc';
import { sandboxUser } from './sandbox-user.ts';

export class SandboxSpecError extends Error {
  override name = 'SandboxSpecError';
}

/** Host paths never to bind whole: they hold other users, host config or secrets. */
const forbiddenExact = ['/', '/root', '/home', '/run', '/var', '/tmp', '/mnt', '/media', '/opt', '/srv'];
/** Host trees no read-only path may point into, and sandbox paths none may cover. */
const forbiddenTrees = [
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  sandboxPaths.workspace,
  sandboxPaths.ipc,
  dirname(sandboxPaths.proxySocket),
];

const within = (path: string, tree: string) => path === tree || path.startsWith(tree === '/' ? '/' : `${tree}/`);

/** Every bind source must exist and be what it should: bwrap's own errors come too late. */
export function checkBindSources(spec: { workspaceDir: string; ipcDir: string; proxySocket: string; readOnlyPaths: string[] }): void {
  const expected: [string, 'directory' | 'socket' | 'any'][] = [
    [spec.workspaceDir, 'directory'],
    [spec.ipcDir, 'directory'],
    [spec.proxySocket, 'socket'],
    ...spec.readOnlyPaths.map((p): [string, 'any'] => [p, 'any']),
  ];
  for (const [path, kind] of expected) {
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new SandboxSpecError(`${path} does not exist`);
    }
    if (kind === 'directory' && !st.isDirectory()) throw new SandboxSpecError(`${path} is not a directory`);
    if (kind === 'socket' && !st.isSocket()) throw new SandboxSpecError(`${path} is not a unix socket`);
  }
  checkProxySocketDirectory(spec.proxySocket);
}

/** The proxy socket's directory is bound whole into every sandbox (see bwrapArgs): it must hold nothing else. */
function checkProxySocketDirectory(socket: string): void {
  const others = readdirSync(dirname(socket)).filter((name) => name !== basename(socket));
  if (others.length > 0) {
    throw new SandboxSpecError(
      `the proxy socket's directory ${dirname(socket)} must hold only the socket (every sandbox sees it), but holds ${others.join(', ')}`,
    );
  }
}

/**
 * A read-only path must not expose more than it should: not a sensitive host tree, and not a
 * folder that contains another sandbox's folders or the proxy's (a parent of the workspace
 * would show every tenant's workspace).
 */
export function checkReadOnlyPaths(readOnlyPaths: string[], privatePaths: string[]): void {
  const privates = privatePaths.map(realOrSelf);
  for (const path of readOnlyPaths) {
    for (const candidate of new Set([path, realOrSelf(path)])) {
      if (forbiddenExact.includes(candidate) || forbiddenTrees.some((tree) => within(candidate, tree))) {
        throw new SandboxSpecError(`read-only path ${path} is not allowed in a sandbox`);
      }
      const exposed = privates.find((p) => within(p, candidate));
      if (exposed) throw new SandboxSpecError(`read-only path ${path} would expose ${exposed}`);
    }
  }
}

/**
 * When the host is root, bwrap runs as the sandbox user, so it must be able to walk to every
 * path it binds. Checked up front for a clear error instead of bwrap's "Can't find source path".
 */
export function checkReachableBySandboxUser(paths: string[]): void {
  for (const path of paths) {
    for (const candidate of new Set([path, realOrSelf(path)])) {
      for (let dir = dirname(candidate); ; dir = dirname(dir)) {
        if (!searchable(dir)) {
          throw new SandboxSpecError(
            `${path} is not reachable by the sandbox user ${sandboxUser.uid}: ${dir} is not searchable by it (e.g. chmod o+x ${dir})`,
          );
        }
        if (dir === '/') break;
      }
    }
  }
}

/** Connecting to a unix socket takes write permission on it. */
export function checkConnectableBySandboxUser(socket: string): void {
  const st = statSync(socket);
  const bit = st.uid === sandboxUser.uid ? 0o200 : st.gid === sandboxUser.gid ? 0o020 : 0o002;
  if ((st.mode & bit) === 0) {
    throw new SandboxSpecError(`${socket} is not connectable by the sandbox user ${sandboxUser.uid} (e.g. chmod 0666 it)`);
  }
}

function searchable(dir: string): boolean {
  try {
    const st = statSync(dir);
    const bit = st.uid === sandboxUser.uid ? 0o100 : st.gid === sandboxUser.gid ? 0o010 : 0o001;
    return st.isDirectory() && (st.mode & bit) !== 0;
  } catch {
    return false;
  }
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
