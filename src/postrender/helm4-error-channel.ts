/**
 * Helm 4 discards a post-renderer plugin's stderr (v4.1.4 to at least v4.3.1) and prints only
 * `plugin "kafka-warden" exited with error`. So that the user still learns what was wrong, a failing
 * render under Helm 4 also writes its message straight to Helm's own stderr and to a log file whose
 * path the message names. Helm is the parent of the launcher bin/kafka-warden-post-renderer, which
 * the plugin's script `exec`s; node runs as the launcher's child and learns Helm's pid from it
 * (KAFKA_WARDEN_HELM_PID).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function runningAsHelm4Plugin(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.HELM_PLUGIN_DIR !== undefined && env.KAFKA_WARDEN_HELM_PLUGIN === '1';
}

export function helmPid(env: NodeJS.ProcessEnv = process.env): number {
  const pid = Number(env.KAFKA_WARDEN_HELM_PID);
  return Number.isInteger(pid) && pid > 0 ? pid : process.ppid;
}

export function errorLogPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.KAFKA_WARDEN_ERROR_LOG ?? path.join(tmpdir(), 'kafka-warden-error.log');
}

/** Best effort: every channel may be missing (no /proc, read-only temp); none may throw. */
export function reportToHelm4(message: string): void {
  const logPath = errorLogPath();
  const text = `${message.trimEnd()}\n(also written to ${logPath})\n`;
  try {
    writeFileSync(logPath, `${new Date().toISOString()} ${message.trimEnd()}\n`, { mode: 0o600 });
  } catch {
    // The message still goes to Helm's stderr below.
  }
  try {
    appendFileSync(`/proc/${helmPid()}/fd/2`, text);
  } catch {
    // Not Linux, or Helm's stderr is gone: the log file is the remaining channel.
  }
}
