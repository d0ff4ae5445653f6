/**
 * The only file system access of src/tls: CA directories, material directories and manifests.
 * Everything secret is written 0600 in a 0700 directory, and nothing is overwritten unless asked:
 * a replaced CA key cannot be recovered. An operation's files are written together or not at all,
 * and never through a symbolic link (writeFiles).
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { SECRET_KEYS } from '../core/tls-wiring';
import { WardenError } from '../core/errors';
import { loadYaml11 } from '../manifests/yaml11';
import { CA_FILES, type CaPem } from './ca';
import { passwordFromFile } from './jaas';
import type { MaterialFiles } from './material';

const SECRET_MODE = 0o600;
const PUBLIC_MODE = 0o644;

/** A file a user named, read whole; a failure is KW_TLS_INPUT naming the file and the system's code. */
export function readInputFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

export function readCaDir(dir: string): {
  pem: CaPem;
  sources: { certificate: string; key: string };
} {
  const sources = {
    certificate: path.join(dir, CA_FILES.certificate),
    key: path.join(dir, CA_FILES.key),
  };
  return {
    pem: {
      certificate: readInputFile(sources.certificate).toString('utf8'),
      key: readInputFile(sources.key).toString('utf8'),
    },
    sources,
  };
}

export function readCertificateFile(file: string): string {
  return readInputFile(file).toString('utf8');
}

/** The material files present in `dir`; at least the keystore or the truststore must be there. */
export function readMaterialDir(dir: string): MaterialFiles {
  const files: MaterialFiles = {};
  for (const name of Object.values(SECRET_KEYS)) {
    const file = path.join(dir, name);
    if (existsSync(file)) files[name] = readInputFile(file);
  }
  if (!files[SECRET_KEYS.keystore] && !files[SECRET_KEYS.truststore]) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${dir}: holds neither ${SECRET_KEYS.keystore} nor ${SECRET_KEYS.truststore}`,
    );
  }
  return files;
}

/** A SASL password: the file's one line (see passwordFromFile); the value is never in an error. */
export function readPasswordFile(file: string): string {
  return passwordFromFile(readInputFile(file), file);
}

/** One YAML (or JSON) document, read with the YAML 1.1 rules Kubernetes applies. */
export function readManifest(file: string): unknown {
  const text = readInputFile(file).toString('utf8');
  try {
    return loadYaml11(text);
  } catch (error) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${file}: not a single YAML document (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

export type InspectInput =
  | { kind: 'material'; files: MaterialFiles; source: string }
  | { kind: 'secret'; manifest: unknown; source: string }
  | { kind: 'certificates'; pem: string; source: string };

/** A directory of material, a store (its directory is read for the passwords), a Secret, a PEM file. */
export function readInspectInput(target: string): InspectInput {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(target).isDirectory();
  } catch (error) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `${target}: ${(error as NodeJS.ErrnoException).code ?? 'cannot be read'}`,
    );
  }
  if (isDirectory) return { kind: 'material', files: readMaterialDir(target), source: target };
  if (target.endsWith('.p12')) {
    const dir = path.dirname(target);
    return { kind: 'material', files: readMaterialDir(dir), source: dir };
  }
  const text = readInputFile(target).toString('utf8');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    return { kind: 'certificates', pem: text, source: target };
  }
  return { kind: 'secret', manifest: readManifest(target), source: target };
}

/** One file of an operation: its name in the directory, its content and its mode. */
type OutputFile = [name: string, data: Buffer | string, mode: number];

/**
 * Every file of one operation, or none of them: a CA certificate without its key, or a keystore
 * beside the previous material's passwords, is worse than no output. Each file is written aside
 * (a temporary file in the same directory) and all are renamed into place only once all were
 * written; a rename that still fails puts the previous files back.
 *
 * Nothing is written through a symbolic link, even with `force`: a link planted where a key goes
 * would send the key wherever it points. A temporary file is created new (O_EXCL), so the rename
 * replaces the name, never the content of another file.
 */
function writeFiles(dir: string, files: OutputFile[], force: boolean): string[] {
  const targets = files.map(([name]) => path.join(dir, name));
  const existing = targets.filter(isReplaceableFile);
  if (!force && existing.length > 0) {
    throw new WardenError(
      'KW_TLS_OUTPUT',
      `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; choose another --out-dir or pass --force`,
    );
  }
  createDirectory(dir);
  const staged = stageFiles(dir, files);
  moveIntoPlace(dir, staged);
  return targets;
}

function outputError(file: string, what: string, error: unknown): WardenError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return new WardenError('KW_TLS_OUTPUT', `${file}: ${what} (${code})`);
}

/** Whether `file` exists; refuses anything kafka-warden must not replace. */
function isReplaceableFile(file: string): boolean {
  let stat;
  try {
    stat = lstatSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file, which creating the directory reports.
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw outputError(file, 'cannot be checked', error);
  }
  if (stat.isSymbolicLink()) {
    throw new WardenError(
      'KW_TLS_OUTPUT',
      `${file}: is a symbolic link; kafka-warden does not write through links (remove it or choose another --out-dir)`,
    );
  }
  if (!stat.isFile()) {
    throw new WardenError(
      'KW_TLS_OUTPUT',
      `${file}: exists and is not a regular file; choose another --out-dir`,
    );
  }
  return true;
}

/**
 * `dir` and its missing parents, 0700. Not `mkdirSync(…, { recursive: true })`: Node's loops
 * forever where mkdir fails with ENOENT under a parent that exists (/proc/self/x). Here each
 * missing directory is created once, from the top, and the first failure is the answer.
 */
function createDirectory(dir: string): void {
  const missing: string[] = [];
  let current = path.resolve(dir);
  while (!isDirectory(current, dir)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const directory of missing) {
    try {
      mkdirSync(directory, { mode: 0o700 });
    } catch (error) {
      const where = directory === path.resolve(dir) ? '' : ` ${directory}`;
      throw outputError(dir, `cannot create the directory${where}`, error);
    }
  }
}

function isDirectory(candidate: string, dir: string): boolean {
  let stat;
  try {
    stat = statSync(candidate);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file, which the walk up reaches and names.
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw outputError(dir, `cannot use ${candidate}`, error);
  }
  if (!stat.isDirectory()) {
    const what = candidate === path.resolve(dir) ? 'a file' : `under ${candidate}, a file`;
    throw new WardenError('KW_TLS_OUTPUT', `${dir}: ${what}, not a directory`);
  }
  return true;
}

interface StagedFile {
  name: string;
  temporary: string;
  target: string;
}

const temporaryName = (name: string, purpose: string): string =>
  `.${name}.${randomBytes(6).toString('hex')}.${purpose}`;

/** Writes every file aside; when one fails, removes those already written. */
function stageFiles(dir: string, files: OutputFile[]): StagedFile[] {
  const staged: StagedFile[] = [];
  let current = '';
  try {
    for (const [name, data, mode] of files) {
      current = name;
      const temporary = path.join(dir, temporaryName(name, 'new'));
      const fd = openSync(
        temporary,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        mode,
      );
      staged.push({ name, temporary, target: path.join(dir, name) });
      try {
        // The umask may have narrowed `mode` at creation; a public certificate stays 0644.
        fchmodSync(fd, mode);
        writeFileSync(fd, data);
        // Renamed before its data reached the disk, a file can be empty after a crash.
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (error) {
    removeAll(staged.map((file) => file.temporary));
    throw outputError(dir, `cannot write ${current}; nothing was changed`, error);
  }
  return staged;
}

function removeAll(files: Iterable<string>): void {
  for (const file of files) rmSync(file, { force: true });
}

/** Renames the staged files over their targets; on a failure, puts the previous files back. */
function moveIntoPlace(dir: string, staged: StagedFile[]): void {
  const previous = new Map<string, string>();
  try {
    for (const file of staged) {
      // Checked again: the files were written in between, and a link may have appeared.
      if (!isReplaceableFile(file.target)) continue;
      const copy = path.join(dir, temporaryName(file.name, 'old'));
      try {
        keepCopy(file.target, copy);
      } catch (error) {
        throw outputError(file.target, 'cannot keep a copy to restore; nothing was changed', error);
      }
      previous.set(file.target, copy);
    }
  } catch (error) {
    removeAll([...staged.map((file) => file.temporary), ...previous.values()]);
    throw error;
  }
  const moved: StagedFile[] = [];
  for (const file of staged) {
    try {
      renameSync(file.temporary, file.target);
    } catch (error) {
      const lost = restore(moved, previous);
      removeAll(staged.map((other) => other.temporary));
      removeAll([...previous.values()].filter((copy) => !lost.includes(copy)));
      throw outputError(
        dir,
        `cannot move ${file.name} into place; ${
          lost.length === 0
            ? 'the previous files are unchanged'
            : `restore the previous files from ${lost.join(', ')}`
        }`,
        error,
      );
    }
    moved.push(file);
  }
  removeAll(previous.values());
}

/** A hard link where the file system has them (nothing copied), else a copy with the same mode. */
function keepCopy(file: string, copy: string): void {
  try {
    linkSync(file, copy);
  } catch {
    copyFileSync(file, copy, constants.COPYFILE_EXCL);
  }
}

/** Undoes the renames done so far; returns the copies that could not be put back. */
function restore(moved: StagedFile[], previous: Map<string, string>): string[] {
  const lost: string[] = [];
  for (const file of moved) {
    const copy = previous.get(file.target);
    try {
      if (copy === undefined) rmSync(file.target, { force: true });
      else renameSync(copy, file.target);
    } catch {
      if (copy !== undefined) lost.push(copy);
    }
  }
  return lost;
}

export function writeCaDir(dir: string, pem: CaPem, force: boolean): string[] {
  return writeFiles(
    dir,
    [
      [CA_FILES.certificate, pem.certificate, PUBLIC_MODE],
      [CA_FILES.key, pem.key, SECRET_MODE],
    ],
    force,
  );
}

export function writeMaterialDir(dir: string, files: MaterialFiles, force: boolean): string[] {
  return writeFiles(
    dir,
    Object.entries(files).map(([name, data]) => [name, data, SECRET_MODE]),
    force,
  );
}
