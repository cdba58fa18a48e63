import { runTool, unmount } from './mounts.ts';
import { prepareIpcFolders } from './workspace.ts';

/** The tmpfs's name in mountinfo: how leftover cleanup knows the mounts are ours. */
const SOURCE = 'warren-ipc';
/** Room for a few of the largest IPC files at once; inodes bound how many names a sandbox can plant. */
const OPTIONS = `size=${64 * 1024 * 1024},nr_inodes=4096,mode=0755,nodev,nosuid,noexec`;

/**
 * Gives a sandbox's IPC folder a tmpfs of its own for the sandbox's lifetime (when the host is
 * root; otherwise the folder stays as it is). Unmounting it is the sandbox's teardown: whatever
 * it planted there (directories, symlinks the host left in place) goes with the filesystem,
 * without the host walking any of it. It also bounds what a sandbox can put there, and inside
 * the sandbox /proc/self/mountinfo shows `/ /ipc … tmpfs warren-ipc` instead of the host path.
 * Returns the unmount.
 */
export async function mountIpcTmpfs(ipcDir: string): Promise<() => Promise<void>> {
  if (process.getuid?.() !== 0) return async () => {};
  await runTool('mount', ['-t', 'tmpfs', '-o', OPTIONS, SOURCE, ipcDir]);
  try {
    await prepareIpcFolders(ipcDir);
  } catch (err) {
    await unmount(ipcDir);
    throw err;
  }
  return () => unmount(ipcDir);
}
