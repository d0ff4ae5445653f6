/**
 * The JVMs the harness starts: each in its own process group (so a stop reaches anything it
 * forks), stdout and stderr into one log file, stopped by group id, and killed when the test
 * process exits however it exits. Waits are bounded and a failed wait quotes the log.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<Exit>;
  running(): boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs` (0: SIGKILL at once). */
  stop(graceMs?: number): Promise<Exit>;
  /** Resolves when the log matches; rejects on exit or timeout, quoting the log. */
  waitForLog(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** The last `lines` lines of the log. */
  tail(lines?: number): string;
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test run dies without its afterAll: no JVM outlives the test process.
  process.on('exit', () => {
    for (const child of live) killGroup(child.pid, 'SIGKILL');
  });
}

export function startProcess(options: {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  logFile: string;
  cwd?: string;
}): ManagedProcess {
  installExitHook();
  // The log is appended to across restarts: waits read only what this run wrote.
  const logStart = existsSync(options.logFile) ? statSync(options.logFile).size : 0;
  const fd = openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, {
    detached: true,
    env: options.env,
    stdio: ['ignore', fd, fd],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${options.name}: ${options.command} did not start`);
  const pid = child.pid;
  let done = false;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      live.delete(managed);
      resolve({ code, signal });
    });
    child.once('error', () => {
      done = true;
      live.delete(managed);
      resolve({ code: null, signal: null });
    });
  });
  // Jest must not wait for these handles; the harness stops them explicitly.
  child.unref();

  const ownLog = (): string =>
    existsSync(options.logFile)
      ? readFileSync(options.logFile).subarray(logStart).toString('utf8')
      : '';
  const tail = (lines = 60): string => ownLog().split('\n').slice(-lines).join('\n') || '(no log)';

  const managed: ManagedProcess = {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    running: () => !done,
    tail,
    async stop(graceMs = 15_000) {
      if (done) {
        killGroup(pid, 'SIGKILL'); // anything the process left in its group
        return exited;
      }
      if (graceMs > 0) {
        killGroup(pid, 'SIGTERM');
        // The grace timer is cleared once the process exits: a pending one would keep Jest (or a
        // benchmark) waiting for up to graceMs after everything stopped.
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), graceMs);
        });
        const exit = await Promise.race([exited, graceOver]);
        clearTimeout(timer);
        if (exit) return exit;
      }
      killGroup(pid, 'SIGKILL');
      return exited;
    },
    async waitForLog(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (pattern.test(ownLog())) return;
        if (done) {
          const exit = await exited;
          throw new Error(
            `${options.name} exited (code ${exit.code}, signal ${exit.signal}) before logging ${pattern}; ${options.logFile}:\n${tail()}`,
          );
        }
        if (Date.now() > deadline) {
          throw new Error(
            `${options.name} did not log ${pattern} within ${timeoutMs} ms; ${options.logFile}:\n${tail()}`,
          );
        }
        await delay(250);
      }
    },
  };
  live.add(managed);
  return managed;
}

/** The processes started and not yet exited: a test can prove a failed start left none behind. */
export function liveProcesses(): readonly ManagedProcess[] {
  return [...live];
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
