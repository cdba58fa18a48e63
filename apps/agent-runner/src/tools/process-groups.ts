/**
 * Process groups of running bash commands. Bash runs detached (its own group) so a timeout can
 * kill everything it started; the same reason means the runner must kill them when it stops,
 * since they no longer share its group.
 */
export class ProcessGroups {
  private readonly running = new Set<number>();

  add(pid: number): void {
    this.running.add(pid);
  }

  delete(pid: number): void {
    this.running.delete(pid);
  }

  /** SIGKILL to the whole group; a group that is already gone is fine. */
  kill(pid: number): void {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: nothing left to kill
    }
  }

  killAll(): void {
    for (const pid of this.running) this.kill(pid);
    this.running.clear();
  }
}
