/**
 * `kafka-warden serve` from the built bundle against a test control plane (test/support/control-plane.ts):
 * the real CLI, so src/kube (which loads the ESM-only @kubernetes/client-node) runs as it does in a
 * cluster. Every wait is bounded; an exit hook SIGKILLs a serve that a failed test left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { ControlPlane } from './control-plane';
import { CLI } from './run-cli';

export interface ClusterServe {
  child: ChildProcess;
  port: number;
  /** The self-signed CA serve printed: the webhooks' caBundle. */
  caPem: string;
  /** Everything serve wrote (pino JSON lines and stderr). */
  logs(): string;
  /** Parsed log lines (non-JSON lines skipped). */
  logLines(): Record<string, unknown>[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now (the "webhook down" scenario); resolves when the process is gone. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Environment without proxies or KUBECONFIG: serve talks to 127.0.0.1 through --kubeconfig only. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/_proxy$/i.test(key) || key === 'KUBECONFIG') continue;
    env[key] = value;
  }
  return env;
}

export function startClusterServe(
  cp: Pick<ControlPlane, 'kubeconfigPath'>,
  args: string[] = [],
  timeoutMs = 30_000,
): Promise<ClusterServe> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--kubeconfig',
      cp.kubeconfigPath,
      '--shutdown-delay',
      '0',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() },
  );
  live.add(child);
  let out = '';
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      live.delete(child);
      done(code);
    }),
  );
  let caPath: string | undefined;
  const gone = async (signal: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    // A killed serve leaves its self-signed CA certificate's temp dir (never a key): remove it.
    if (caPath) rmSync(path.dirname(caPath), { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      caPath ??= /CA at (\S+)/.exec(out)?.[1];
      const listening = /"port":(\d+)[^\n]*"msg":"listening"/.exec(out);
      if (listening?.[1] && caPath) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        const keep = (more: Buffer) => (out += more.toString());
        child.stdout?.on('data', keep);
        child.stderr?.on('data', keep);
        resolve({
          child,
          port: Number(listening[1]),
          caPem: readFileSync(caPath, 'utf8'),
          logs: () => out,
          logLines: () =>
            out
              .split('\n')
              .filter((line) => line.startsWith('{'))
              .flatMap((line) => {
                try {
                  return [JSON.parse(line) as Record<string, unknown>];
                } catch {
                  return [];
                }
              }),
          stop: (graceMs = 15_000) => gone('SIGTERM', graceMs),
          kill: () => gone('SIGKILL', 5_000),
          exited,
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${out}`));
    });
  });
}

/** GET https://127.0.0.1:<port><path> verified against serve's CA; bounded. */
export function serveGet(serve: ClusterServe, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port: serve.port, path, ca: serve.caPem, timeout: 5_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
  });
}

/** The sum of a Prometheus counter's samples whose labels include `labels`. */
export async function counter(
  serve: ClusterServe,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await serveGet(serve, '/metrics');
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) {
      sum += Number(match[3]);
    }
  }
  return sum;
}
