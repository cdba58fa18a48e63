import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '@warren/core';
import { signalPids } from './cgroup-fs.ts';
import type { AppliedLimits, SandboxExit, SandboxProcess } from './driver.ts';
import { descendantsOf } from './process-tree.ts';
import type { SandboxLimitsHandle } from './resource-limits.ts';
import { groupFile, passwdFile } from './sandbox-user.ts';

/** Descriptors shared with bwrap, by stdio index; the launcher closes every other one. */
export const BWRAP_FDS = { passwd: 3, group: 4, info: 5, args: 6 } as const;
/**
 * stdin is the sandbox's lifeline: the host never writes to it nor closes it, so the program
 * inside reads end-of-file exactly when the host process is gone, however it died. bwrap's
 * --die-with-parent cannot promise that: it takes hold only once bwrap runs (after bash, prlimit
 * and setpriv), and its pid 1 sets its own only later still, so a host killed while its sandbox
 * was starting could leave that sandbox running with no one to end it.
 */
export const LAUNCHER_STDIO = ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'] as const;

type Duplex = Writable & Readable;

/**
 * Turns a spawned launcher into a SandboxProcess: feeds bwrap its options and the sandbox's
 * /etc files, resolves once bwrap reports the sandbox's pid 1, and rejects with bwrap's stderr
 * if it ends before that. What fails after that (releasing its limits) goes to `logger`.
 */
export function attachSandbox(
  child: ChildProcess,
  sandboxId: string,
  limits: SandboxLimitsHandle & { readonly applied: AppliedLimits },
  bwrapOptions: string[],
  logger: Logger,
): Promise<SandboxProcess> {
  const [lifeline, stdout, stderr, passwd, group, info, options] = child.stdio as unknown as [
    Writable,
    Readable,
    Readable,
    Duplex,
    Duplex,
    Readable,
    Duplex,
  ];
  const log = logger.child({ sandboxId });
  for (const stream of [lifeline, passwd, group, info, options]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // bwrap gone before reading its feeds: the start fails below, with bwrap's own stderr.
      if (err.code !== 'EPIPE') log.error({ err }, 'sandbox launcher descriptor failed');
    });
  }
  const feeds = [
    [passwd, passwdFile],
    [group, groupFile],
    [options, bwrapOptions.map((a) => `${a}\0`).join('')],
  ] as const;
  for (const [stream, data] of feeds) {
    stream.end(data);
    stream.resume();
  }

  let exit: SandboxExit | undefined;
  const exited = new Promise<SandboxExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // Everything in the pid namespace died with its pid 1; the groups catch any straggler.
      // The exit is reported either way: the sandbox is over, only its groups may be left behind.
      limits
        .release()
        .catch((err: unknown) => log.error({ err }, 'could not release the sandbox’s resource limits'))
        .then(() => resolve({ code, signal }));
    });
  });

  const kill = (signal: NodeJS.Signals = 'SIGKILL') => {
    const pid = child.pid;
    if (exit || pid === undefined) return;
    // SIGKILL to the outer bwrap takes the whole namespace with it (--die-with-parent on its pid 1);
    // any other signal goes only to what runs inside, so the program can shut down by itself.
    if (signal === 'SIGKILL') signalPids([pid], signal);
    signalPids(descendantsOf(pid), signal);
    limits.pids().then(
      (pids) => signalPids(signal === 'SIGKILL' ? pids : pids.filter((p) => p !== pid), signal),
      (err: unknown) => log.error({ err, signal }, 'could not list the sandbox’s processes to signal them'),
    );
  };

  return new Promise<SandboxProcess>((resolve, reject) => {
    const fail = (reason: string, cause?: Error) => {
      info.destroy();
      kill('SIGKILL');
      exited
        .then(() => collect(stderr))
        .then((text) => reject(new Error(`sandbox ${sandboxId} failed to start (${reason}): ${text.trim()}`, { cause })), reject);
    };
    let report = '';
    info.setEncoding('utf8');
    info.on('data', function onInfo(chunk: string) {
      report += chunk;
      let parsed: { 'child-pid'?: unknown };
      try {
        parsed = JSON.parse(report) as { 'child-pid'?: unknown };
      } catch {
        return; // not complete yet
      }
      info.off('data', onInfo);
      info.removeAllListeners('end');
      info.resume();
      if (typeof parsed['child-pid'] !== 'number') return fail('no child pid reported');
      child.removeAllListeners('error');
      child.on('error', (err) => log.error({ err }, 'sandbox launcher process failed'));
      resolve({ sandboxId, pid: child.pid!, appliedLimits: limits.applied, exited, stdout, stderr, kill });
    });
    info.once('end', () => fail(exit ? `exited with ${exit.signal ?? exit.code}` : 'no child pid reported'));
    child.once('error', (err) => fail(err.message, err));
  });
}

async function collect(stream: Readable, limit = 16_384): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) {
    text += chunk as string;
    if (text.length > limit) return text.slice(0, limit);
  }
  return text;
}
