/**
 * The JVM side of the TLS tests: the JDK tools (a missing one fails the tier, never skips it), the
 * handshake program compiled once per source version, and the material the tests feed them.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool with a timeout; a missing binary throws with what to install. */
export function runTool(command: string, args: string[], timeoutMs = 60_000): ToolRun {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? `${command} not found on PATH: the JVM tier needs a JDK 17 (java, javac, keytool) and openssl, e.g. apt-get install openjdk-17-jdk-headless openssl`
        : `${command} failed to run: ${result.error.message}`,
    );
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const SOURCE = path.join(__dirname, 'java', 'Handshake.java');

/**
 * Compiles Handshake.java into a cache directory named by the source's hash, so a warm run skips
 * javac. Compiled in a temporary directory and renamed into place: parallel runs never see half a
 * class file.
 */
export function handshakeClasspath(): string {
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const cacheRoot =
    process.env.KW_JVM_CACHE ?? path.join(homedir(), '.cache', 'kafka-warden', 'jvm-handshake');
  const target = path.join(cacheRoot, hash);
  if (existsSync(path.join(target, 'Handshake.class'))) return target;
  mkdirSync(cacheRoot, { recursive: true });
  const work = mkdtempSync(path.join(cacheRoot, 'build-'));
  const javac = runTool('javac', ['-d', work, SOURCE], 120_000);
  if (javac.status !== 0) throw new Error(`javac failed:\n${javac.stderr}`);
  try {
    renameSync(work, target);
  } catch {
    // Another run won the race: its classes are the same source.
    rmSync(work, { recursive: true, force: true });
  }
  return target;
}

export interface HandshakeCase {
  id: string;
  protocol: 'TLSv1.2' | 'TLSv1.3';
  serverDir: string;
  /** null: the client presents no certificate. */
  clientKeyDir: string | null;
  clientTrustDir: string;
  host: string;
}

export interface HandshakeResult {
  ok: boolean;
  detail: string;
}

/** Runs every case in one JVM (start-up once); each handshake has its own timeouts inside. */
export function runHandshakes(cases: HandshakeCase[]): Map<string, HandshakeResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-handshake-'));
  const file = path.join(dir, 'cases.tsv');
  writeFileSync(
    file,
    cases
      .map((c) =>
        [c.id, c.protocol, c.serverDir, c.clientKeyDir ?? '-', c.clientTrustDir, c.host].join('\t'),
      )
      .join('\n'),
  );
  const java = runTool('java', ['-cp', handshakeClasspath(), 'Handshake', file], 300_000);
  rmSync(dir, { recursive: true, force: true });
  if (java.status !== 0) throw new Error(`Handshake exited ${java.status}:\n${java.stderr}`);
  const results = new Map<string, HandshakeResult>();
  for (const line of java.stdout.trim().split('\n')) {
    const [id, verdict, detail] = line.split('\t');
    if (id) results.set(id, { ok: verdict === 'OK', detail: detail ?? '' });
  }
  return results;
}
