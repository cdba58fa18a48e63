import { lstatSync, readlinkSync, statSync } from 'node:fs';

/** Top-level system folders node and bash load from; on merged-usr hosts most are symlinks into /usr. */
const systemRoots = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The only parts of the host's /etc a sandbox sees: the loader cache (faster library lookup),
 * the timezone, and Debian's alternatives (symlinks back into /usr that tools like awk go through).
 * Users, hosts, certificates, credentials: none of it.
 */
const etcEntries = ['/etc/ld.so.cache', '/etc/localtime', '/etc/alternatives'];

/** bwrap arguments reproducing the host's system folders read-only, as the host lays them out. */
export function systemMountArgs(): string[] {
  const args: string[] = [];
  for (const path of systemRoots) {
    const stat = lstatSafe(path);
    if (stat?.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else if (stat?.isDirectory()) args.push('--ro-bind', path, path);
  }
  for (const path of etcEntries) if (existsFollowing(path)) args.push('--ro-bind', path, path);
  return args;
}

function lstatSafe(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function existsFollowing(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
