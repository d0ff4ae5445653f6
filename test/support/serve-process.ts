import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI } from './run-cli';

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  ca: Buffer;
  logs: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `kafka-warden serve` from the built bundle on a free loopback port; bounded wait. */
export function startServe(
  args: string[] = [],
  timeoutMs = 20_000,
  noKube = true,
): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'serve',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        ...(noKube ? ['--no-kube'] : []),
        ...args,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let caPath: string | undefined;
    let started = false;
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      // Once listening, only kept: scanning a log that grows to megabytes on every chunk slowed
      // this process enough to fill the pipe, and serve (whose writes to a pipe block) stalled.
      if (started) return;
      caPath ??= /CA at (\S+)/.exec(out)?.[1];
      const listening = /"port":(\d+)[^\n]*"msg":"listening"/.exec(out);
      // Once: later output (draining, stopped) comes after serve removed its throw-away CA.
      if (listening?.[1] && !started) {
        started = true;
        clearTimeout(timer);
        resolve({
          child,
          port: Number(listening[1]),
          ca: caPath ? readFileSync(caPath) : Buffer.alloc(0),
          logs: () => out,
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
