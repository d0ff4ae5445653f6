/**
 * `kafka-warden serve` starting, as a process: an address it cannot listen on or serving files it
 * cannot use is one line naming them and a non-zero exit, never a stack trace; without --tls-cert
 * its throw-away key is never written, so not even SIGKILL can leave it behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeSelfSigned, type SelfSignedFiles } from '../support/serving-files';
import { CLI } from '../support/run-cli';

interface Outcome {
  code: number | null;
  stderr: string;
}

/** serve with `args`, bounded: it must give up on its own, well before the deadline. */
function serve(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--no-kube', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve ${args.join(' ')} still running after 20 s:\n${stderr}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

let pair: SelfSignedFiles;
const tls = () => ['--tls-cert', pair.certFile, '--tls-key', pair.keyFile];

beforeAll(async () => {
  pair = await writeSelfSigned(['localhost', '127.0.0.1']);
}, 30_000);
afterAll(() => rmSync(pair.dir, { recursive: true, force: true }));

describe('an address serve cannot listen on', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  test('a port in use: one line naming host:port, exit 1', async () => {
    const outcome = await serve(['--host', '127.0.0.1', '--port', String(port), ...tls()]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(
      `kafka-warden serve: KW_SERVE_LISTEN: cannot listen on 127.0.0.1:${port}: the address is in use (another process listens there) (EADDRINUSE); choose another --host or --port\n`,
    );
  });

  test('an address this machine does not have (TEST-NET-1): one line, exit 1', async () => {
    const outcome = await serve(['--host', '192.0.2.1', '--port', '0', ...tls()]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(
      /^kafka-warden serve: KW_SERVE_LISTEN: cannot listen on 192\.0\.2\.1:0: .*\(EADDRNOTAVAIL\)[^\n]*\n$/,
    );
  });

  test('a port beyond 65535 is a usage error, exit 2', async () => {
    const outcome = await serve(['--host', '127.0.0.1', '--port', '70000', ...tls()]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe(
      'kafka-warden serve: KW_USAGE: --port must be 0 to 65535, got 70000\n',
    );
  });
});

describe('serving files serve cannot use', () => {
  test('a --tls-cert that does not exist: one line naming it, exit 1', async () => {
    const outcome = await serve([
      '--port',
      '0',
      '--tls-cert',
      '/nonexistent/tls.crt',
      '--tls-key',
      pair.keyFile,
    ]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(
      'kafka-warden serve: KW_TLS_INPUT: /nonexistent/tls.crt: cannot be read (ENOENT)\n',
    );
  });

  test("a key that is not the certificate's: one line naming both, exit 1", async () => {
    const other = await writeSelfSigned(['localhost']);
    try {
      const outcome = await serve([
        '--port',
        '0',
        '--tls-cert',
        pair.certFile,
        '--tls-key',
        other.keyFile,
      ]);
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toMatch(
        new RegExp(
          `^kafka-warden serve: KW_TLS_INPUT: ${pair.certFile}, ${other.keyFile}: not a certificate and its key \\(.*\\)\\n$`,
        ),
      );
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
  });
});

describe('serve without --tls-cert', () => {
  /** Every file under `dir`, relative to it. */
  const filesUnder = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));

  test('writes no private key, even when SIGKILLed: only the CA certificate, for clients', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'kw-serve-tmp-'));
    try {
      const child = spawn(
        process.execPath,
        [CLI, 'serve', '--no-kube', '--host', '127.0.0.1', '--port', '0'],
        { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const { port, caFile } = await new Promise<{ port: number; caFile: string }>(
        (resolve, reject) => {
          let out = '';
          const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 20_000);
          const onData = (chunk: Buffer) => {
            out += chunk.toString();
            const caFile = /CA at (\S+)/.exec(out)?.[1];
            const listening = /"port":(\d+)[^\n]*"msg":"listening"/.exec(out)?.[1];
            if (caFile && listening) {
              clearTimeout(timer);
              resolve({ port: Number(listening), caFile });
            }
          };
          child.stdout.on('data', onData);
          child.stderr.on('data', onData);
        },
      );
      expect(filesUnder(tmp)).toEqual([path.relative(tmp, caFile)]);
      expect(path.basename(caFile)).toBe('ca.crt');
      // The certificate the CA file vouches for is the one served, from the key in memory.
      const status = await new Promise<number | undefined>((resolve, reject) =>
        get(
          {
            host: '127.0.0.1',
            port,
            path: '/healthz',
            ca: readFileSync(caFile),
            servername: 'localhost',
          },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        ).on('error', reject),
      );
      expect(status).toBe(200);
      child.kill('SIGKILL');
      await exited;
      for (const file of filesUnder(tmp)) {
        expect(readFileSync(path.join(tmp, file), 'utf8')).not.toContain('PRIVATE KEY');
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
