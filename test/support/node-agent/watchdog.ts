/**
 * The last resort against leaked containers: a watchdog shell in its own process group that, once
 * the test process is gone (even SIGKILLed, when no exit hook runs), SIGKILLs every container
 * process group still listed in `<dir>/pgids` and removes the agent's directory. The list holds
 * only live groups (rewritten as processes start and exit), so a recycled pid is never signalled
 * for long. The same design as the control plane's watchdog (test/support/control-plane.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ManagedProcess } from '../../e2e/kafka/harness/processes';

export class Watchdog {
  private readonly live = new Set<number>();
  private readonly child: ChildProcess;
  private readonly file: string;

  constructor(dir: string, keepDir: boolean) {
    this.file = path.join(dir, 'pgids');
    writeFileSync(this.file, '');
    const script = [
      'parent=$1; dir=$2; keep=$3',
      'trap "" HUP INT TERM',
      'while kill -0 "$parent" 2>/dev/null; do sleep 1; done',
      'for pgid in $(cat "$dir/pgids" 2>/dev/null); do kill -KILL -- "-$pgid" 2>/dev/null; done',
      '[ "$keep" = 1 ] || rm -rf -- "$dir"',
    ].join('\n');
    // bash, not sh: dash's kill builtin cannot signal a process group.
    this.child = spawn(
      'bash',
      ['-c', script, 'kw-node-watchdog', String(process.pid), dir, keepDir ? '1' : '0'],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    this.child.unref();
  }

  /** Lists the process's group until it exits. */
  track(process: ManagedProcess): void {
    this.live.add(process.pid);
    this.write();
    void process.exited.then(() => {
      this.live.delete(process.pid);
      this.write();
    });
  }

  private write(): void {
    try {
      writeFileSync(this.file, [...this.live].map((pid) => `${pid}\n`).join(''));
    } catch {
      // The directory is gone: the agent has stopped.
    }
  }

  /** The agent stopped cleanly: the watchdog is not needed any more. */
  stop(): void {
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
