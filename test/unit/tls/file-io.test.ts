// Writing CA and material directories (src/tls/file-io.ts): every file of an operation or none,
// never through a symbolic link, and a clear error, never a hang, where the directory cannot be made.
import { spawnSync } from 'node:child_process';
import fs, {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeCaDir, writeMaterialDir } from '../../../src/tls/file-io';
import { CLI } from '../../support/run-cli';
import { expectWardenError } from './fixtures';

// Only the file handling is under test: the content need not be a certificate.
const OLD_CA = { certificate: 'old certificate\n', key: 'old key\n' };
const NEW_CA = { certificate: 'new certificate\n', key: 'new key\n' };
const MATERIAL = Object.fromEntries(
  ['kafka.keystore.p12', 'kafka.truststore.p12', 'keystore-credentials', 'key-credentials'].map(
    (name) => [name, Buffer.from(`new ${name}`)],
  ),
);

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
afterEach(() => jest.restoreAllMocks());

/** A CA directory holding OLD_CA. */
function oldCaDir(): string {
  const dir = fresh();
  writeCaDir(dir, OLD_CA, false);
  return dir;
}

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

describe('every file of an operation or none', () => {
  test('given --force and a ca.key that is a directory, ca.crt is left as it was', async () => {
    const dir = oldCaDir();
    rmSync(path.join(dir, 'ca.key'));
    mkdirSync(path.join(dir, 'ca.key'));
    await expectWardenError(
      () => writeCaDir(dir, NEW_CA, true),
      'KW_TLS_OUTPUT',
      /ca\.key: exists and is not a regular file/,
    );
    expect(read(dir, 'ca.crt')).toBe(OLD_CA.certificate);
  });

  test('when writing ca.key fails, the previous CA is intact and no temporary file is left', async () => {
    const dir = oldCaDir();
    failOnce('writeFileSync', 2, 'ENOSPC');
    await expectWardenError(
      () => writeCaDir(dir, NEW_CA, true),
      'KW_TLS_OUTPUT',
      /: cannot write ca\.key; nothing was changed \(ENOSPC\)$/,
    );
    expect([read(dir, 'ca.crt'), read(dir, 'ca.key')]).toEqual([OLD_CA.certificate, OLD_CA.key]);
    expect(readdirSync(dir).sort()).toEqual(['ca.crt', 'ca.key']);
  });

  test('when moving ca.key into place fails, ca.crt is put back', async () => {
    const dir = oldCaDir();
    failOnce('renameSync', 2, 'EIO');
    await expectWardenError(
      () => writeCaDir(dir, NEW_CA, true),
      'KW_TLS_OUTPUT',
      /cannot move ca\.key into place; the previous files are unchanged \(EIO\)$/,
    );
    expect([read(dir, 'ca.crt'), read(dir, 'ca.key')]).toEqual([OLD_CA.certificate, OLD_CA.key]);
    expect(readdirSync(dir).sort()).toEqual(['ca.crt', 'ca.key']);
  });

  test('a first CA whose key cannot be moved into place leaves no ca.crt', async () => {
    const dir = fresh();
    failOnce('renameSync', 2, 'EIO');
    await expectWardenError(() => writeCaDir(dir, NEW_CA, false), 'KW_TLS_OUTPUT');
    expect(readdirSync(dir)).toEqual([]);
  });

  test('material: a failure at the fourth file leaves the three before it as they were', async () => {
    const dir = fresh();
    const old = Object.fromEntries(
      Object.keys(MATERIAL).map((name) => [name, Buffer.from(`old ${name}`)]),
    );
    writeMaterialDir(dir, old, false);
    failOnce('writeFileSync', 4, 'EDQUOT');
    await expectWardenError(
      () => writeMaterialDir(dir, MATERIAL, true),
      'KW_TLS_OUTPUT',
      /cannot write key-credentials; nothing was changed \(EDQUOT\)$/,
    );
    for (const name of Object.keys(MATERIAL)) expect(read(dir, name)).toBe(`old ${name}`);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(MATERIAL).sort());
  });

  test('a replaced file takes the new mode, whatever the old one and the umask', () => {
    const dir = oldCaDir();
    fs.chmodSync(path.join(dir, 'ca.key'), 0o644);
    fs.chmodSync(path.join(dir, 'ca.crt'), 0o600);
    const umask = process.umask(0o077);
    try {
      writeCaDir(dir, NEW_CA, true);
    } finally {
      process.umask(umask);
    }
    expect(mode(path.join(dir, 'ca.key'))).toBe(0o600);
    expect(mode(path.join(dir, 'ca.crt'))).toBe(0o644);
    expect(read(dir, 'ca.key')).toBe(NEW_CA.key);
  });
});

describe('symbolic links', () => {
  test.each([false, true])(
    'a dangling ca.key link is refused, naming it, with --force %s, and nothing is written',
    async (force) => {
      const dir = fresh();
      mkdirSync(dir);
      const elsewhere = path.join(root, `stolen-${count}.key`);
      symlinkSync(elsewhere, path.join(dir, 'ca.key'));
      await expectWardenError(
        () => writeCaDir(dir, NEW_CA, force),
        'KW_TLS_OUTPUT',
        new RegExp(`^${path.join(dir, 'ca.key')}: is a symbolic link`),
      );
      expect(existsSync(elsewhere)).toBe(false);
      expect(readdirSync(dir)).toEqual(['ca.key']);
    },
  );

  test('a link to an existing file is refused with --force, and that file is unchanged', async () => {
    const dir = oldCaDir();
    const elsewhere = path.join(root, `other-${count}.key`);
    writeFileSync(elsewhere, 'someone else’s key');
    rmSync(path.join(dir, 'ca.key'));
    symlinkSync(elsewhere, path.join(dir, 'ca.key'));
    await expectWardenError(
      () => writeCaDir(dir, NEW_CA, true),
      'KW_TLS_OUTPUT',
      /ca\.key: is a symbolic link/,
    );
    expect(readFileSync(elsewhere, 'utf8')).toBe('someone else’s key');
    expect(read(dir, 'ca.crt')).toBe(OLD_CA.certificate);
  });

  test('a linked keystore in a material directory is refused', async () => {
    const dir = fresh();
    mkdirSync(dir);
    symlinkSync(path.join(root, 'nowhere.p12'), path.join(dir, 'kafka.keystore.p12'));
    await expectWardenError(
      () => writeMaterialDir(dir, MATERIAL, true),
      'KW_TLS_OUTPUT',
      /kafka\.keystore\.p12: is a symbolic link/,
    );
    expect(readdirSync(dir)).toEqual(['kafka.keystore.p12']);
  });
});

/** Makes the `nth` call of `fs[name]` fail with an errno `code`; other calls go through. */
function failOnce(name: 'writeFileSync' | 'renameSync', nth: number, code: string): void {
  const original = fs[name] as (...args: unknown[]) => unknown;
  let calls = 0;
  jest.spyOn(fs, name).mockImplementation((...args: unknown[]) => {
    calls++;
    if (calls === nth) throw Object.assign(new Error(`${code}: injected`), { code });
    return original(...args) as never;
  });
}
