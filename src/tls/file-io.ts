/**
 * The only file system access of src/tls: CA directories, material directories and manifests.
 * Everything secret is written 0600 in a 0700 directory, and nothing is overwritten unless asked:
 * a replaced CA key cannot be recovered.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SECRET_KEYS } from '../core/tls-wiring';
import { WardenError } from '../core/errors';
import { loadYaml11 } from '../postrender/yaml11';
import { CA_FILES, type CaPem } from './ca';
import { passwordFromFile } from './jaas';
import type { MaterialFiles } from './material';

const SECRET_MODE = 0o600;
const PUBLIC_MODE = 0o644;

function readFile(file: string): Buffer {
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
      certificate: readFile(sources.certificate).toString('utf8'),
      key: readFile(sources.key).toString('utf8'),
    },
    sources,
  };
}

export function readCertificateFile(file: string): string {
  return readFile(file).toString('utf8');
}

/** The material files present in `dir`; at least the keystore or the truststore must be there. */
export function readMaterialDir(dir: string): MaterialFiles {
  const files: MaterialFiles = {};
  for (const name of Object.values(SECRET_KEYS)) {
    const file = path.join(dir, name);
    if (existsSync(file)) files[name] = readFile(file);
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
  return passwordFromFile(readFile(file), file);
}

/** One YAML (or JSON) document, read with the YAML 1.1 rules Kubernetes applies. */
export function readManifest(file: string): unknown {
  const text = readFile(file).toString('utf8');
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
  const text = readFile(target).toString('utf8');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    return { kind: 'certificates', pem: text, source: target };
  }
  return { kind: 'secret', manifest: readManifest(target), source: target };
}

/** Refuses before writing anything when a file exists and `force` is off. */
function writeFiles(
  dir: string,
  files: [string, Buffer | string, number][],
  force: boolean,
): string[] {
  const targets = files.map(([name]) => path.join(dir, name));
  const existing = targets.filter((file) => existsSync(file));
  if (!force && existing.length > 0) {
    throw new WardenError(
      'KW_TLS_OUTPUT',
      `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; choose another --out-dir or pass --force`,
    );
  }
  createDirectory(dir);
  try {
    for (const [name, data, mode] of files) {
      const file = path.join(dir, name);
      writeFileSync(file, data, { mode });
      // `mode` applies only to a file being created; an overwritten one keeps its old bits.
      chmodSync(file, mode);
    }
  } catch (error) {
    throw new WardenError(
      'KW_TLS_OUTPUT',
      `${dir}: cannot write (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return targets;
}

function outputError(file: string, what: string, error: unknown): WardenError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return new WardenError('KW_TLS_OUTPUT', `${file}: ${what} (${code})`);
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
