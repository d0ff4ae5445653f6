// Writing CA and material directories (src/tls/file-io.ts): a clear error, never a hang, where
// the directory cannot be made.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeCaDir } from '../../../src/tls/file-io';
import { CLI } from '../../support/run-cli';
import { expectWardenError } from './fixtures';

const NEW_CA = { certificate: 'new certificate\n', key: 'new key\n' };

let root: string;
let count = 0;
/** A fresh directory under the test's root. */
const fresh = () => path.join(root, `d${count++}`);
const read = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8');
const mode = (file: string) => statSync(file).mode & 0o777;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'kw-file-io-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a directory that cannot be made', () => {
  // Node's recursive mkdir loops forever there; a child process, so a hang fails the test.
  test.each(['/proc/self/nope', '/proc/self/nope/deeper'])(
    'init-ca --out-dir %s ends at once with a one-line error naming the directory',
    (outDir) => {
      if (!existsSync('/proc/self')) return;
      const result = spawnSync(
        process.execPath,
        [CLI, 'certs', 'init-ca', '--out-dir', outDir, '--bits', '2048'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(result.signal).toBeNull();
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `^kafka-warden certs: KW_TLS_OUTPUT: ${outDir}: cannot create the directory( /proc/self/nope)? \\(ENOENT\\)\\n$`,
        ),
      );
    },
  );

  test.each([
    ['a file', (file: string) => file, /a-file: a file, not a directory$/],
    [
      'under a file',
      (file: string) => path.join(file, 'sub'),
      /a-file\/sub: under .*a-file, a file, not a directory$/,
    ],
    [
      'under a dangling link',
      (file: string) => path.join(path.dirname(file), 'dangling', 'sub'),
      /cannot create the directory .*dangling \(EEXIST\)$/,
    ],
  ])('%s is refused, naming it', async (_what, outDir, message) => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'a-file'), '');
    symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
    const target = outDir(path.join(dir, 'a-file'));
    await expectWardenError(() => writeCaDir(target, NEW_CA, true), 'KW_TLS_OUTPUT', message);
    expect(existsSync(path.join(dir, 'nowhere'))).toBe(false);
  });

  test('missing parents are made, owner-only', () => {
    const dir = path.join(fresh(), 'a', 'b');
    writeCaDir(dir, NEW_CA, false);
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.dirname(dir))).toBe(0o700);
    expect(read(dir, 'ca.key')).toBe(NEW_CA.key);
  });
});
