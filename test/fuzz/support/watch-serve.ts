import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ServeProcess } from '../../support/serve-process';

export interface HealthStats {
  polls: number;
  /** Polls that were not a 200 within the bound, with what they got. */
  failures: string[];
  maxLatencyMs: number;
  peakRssKb: number;
  firstRssKb: number;
}

export interface ServeWatch {
  /** Stops polling and resolves with what was seen. */
  stop(): Promise<HealthStats>;
  /** What was seen so far. */
  stats(): HealthStats;
}

/** Polls /healthz and samples the server's RSS from a separate process (support/monitor.mjs). */
export function watchServe(serve: ServeProcess, boundMs: number, intervalMs = 150): ServeWatch {
  const pid = serve.child.pid;
  if (pid === undefined) throw new Error('serve has no pid');
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'monitor.mjs'), String(serve.port), String(pid), String(intervalMs)],
    {
      env: { ...process.env, KW_MONITOR_CA: serve.ca.toString() },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const stats: HealthStats = {
    polls: 0,
    failures: [],
    maxLatencyMs: 0,
    peakRssKb: 0,
    firstRssKb: 0,
  };
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) record(stats, line, boundMs);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stats: () => stats,
    stop: async () => {
      child.stdin.end();
      await exited;
      return stats;
    },
  };
}

function record(stats: HealthStats, line: string, boundMs: number): void {
  const [what, first, second, protocol] = line.split(' ');
  if (what === 'health') {
    const ms = Number(first);
    stats.polls++;
    stats.maxLatencyMs = Math.max(stats.maxLatencyMs, ms);
    if (second !== '200' || ms > boundMs) {
      stats.failures.push(`${protocol}: ${second} after ${ms} ms`);
    }
  } else if (what === 'rss') {
    const kb = Number(first);
    if (!Number.isFinite(kb)) return;
    if (stats.firstRssKb === 0) stats.firstRssKb = kb;
    stats.peakRssKb = Math.max(stats.peakRssKb, kb);
  }
}
