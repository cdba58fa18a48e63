import { sandboxPaths } from '@warren/ipc';

/**
 * The one unprivileged identity every sandbox runs as, inside and (when the host is root) on the
 * host too: `nobody`, which owns nothing on the host but the sandbox folders.
 */
export const sandboxUser = { uid: 65534, gid: 65534, name: 'sandbox', home: sandboxPaths.workspace } as const;

/**
 * The sandbox's whole /etc/passwd and /etc/group: libc needs an entry for the current uid
 * (os.userInfo() throws without one), and nothing of the host's user list belongs inside.
 */
export const passwdFile = [
  'root:x:0:0:root:/nonexistent:/usr/sbin/nologin',
  `${sandboxUser.name}:x:${sandboxUser.uid}:${sandboxUser.gid}:Warren sandbox:${sandboxUser.home}:/bin/bash`,
  '',
].join('\n');

export const groupFile = ['root:x:0:', `${sandboxUser.name}:x:${sandboxUser.gid}:`, ''].join('\n');
