import type { SandboxLimits } from './driver.ts';
import { type LimitsBackend, staticHandle } from './limits-backend.ts';

/**
 * V8 reserves about half a GiB of writable address space before it allocates anything, which
 * RLIMIT_DATA counts: without headroom node would not even start.
 */
const RLIMIT_DATA_HEADROOM = 1024 * 1024 * 1024;

/**
 * The last resort, through `prlimit` in the launcher. Coarse: RLIMIT_DATA bounds each process,
 * not the sandbox; RLIMIT_NPROC counts every process of the real uid, i.e. of all sandboxes
 * together (they share uid 65534), so it is a shared ceiling; it is only set when the host is
 * root, since otherwise the sandbox's uid is the host's own. Nothing bounds CPU, nor shares it fairly between tenants.
 */
export function rlimitBackend(prlimit: string): LimitsBackend {
  const root = process.getuid?.() === 0;
  return {
    kind: 'rlimit',
    parents: [],
    apply: async (_sandbox, limits: SandboxLimits) =>
      staticHandle({ mechanism: 'rlimit', memory: true, pids: root, cpu: false }, [
        prlimit,
        `--data=${limits.memoryBytes + RLIMIT_DATA_HEADROOM}`,
        ...(root ? [`--nproc=${limits.pids}`] : []),
        '--',
      ]),
  };
}
