/**
 * TLS material for the JVM tests, made by the bundled `kafka-warden certs` exactly as a user would:
 * two CAs, broker and client material, and the three steps of a CA rotation.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { certificatesFromPem, fingerprint } from '../../../src/tls';
import { runCli } from '../../support/run-cli';

export function certs(args: string[]): string {
  const result = runCli(['certs', ...args]);
  if (result.status !== 0) {
    throw new Error(
      `kafka-warden certs ${args.join(' ')} exited ${result.status}:\n${result.stderr}`,
    );
  }
  return result.stdout;
}

export const CLUSTER = { statefulset: 'kf', namespace: 'ns', replicas: 2 };
export const EXTERNAL_TEMPLATE = 'b{id}.kafka.example.com';

export interface Fixture {
  root: string;
  /** Directories of material, by role. */
  ca: string;
  nextCa: string;
  broker: string;
  client: string;
  /** Rotation step 1: the client's leaf still from the old CA, both CAs trusted. */
  clientTrustsBoth: string;
  /** Rotation step 2: the broker's leaf from the next CA, both CAs trusted. */
  brokerSignedByNext: string;
  /** Rotation step 3: the old CA dropped. */
  brokerNextOnly: string;
}

export function caFingerprint(caDir: string): string {
  const file = path.join(caDir, 'ca.crt');
  const [cert] = certificatesFromPem(readFileSync(file, 'utf8'), file);
  if (!cert) throw new Error(`${file}: no certificate`);
  return fingerprint(cert);
}

export function createFixture(): Fixture {
  const root = mkdtempSync(path.join(tmpdir(), 'kw-jvm-'));
  const dir = (name: string) => path.join(root, name);
  const f: Fixture = {
    root,
    ca: dir('ca'),
    nextCa: dir('ca-next'),
    broker: dir('broker'),
    client: dir('client'),
    clientTrustsBoth: dir('client-step1'),
    brokerSignedByNext: dir('broker-step2'),
    brokerNextOnly: dir('broker-step3'),
  };
  certs(['init-ca', '--out-dir', f.ca]);
  certs(['init-ca', '--out-dir', f.nextCa, '--name', 'kafka-warden next CA', '--bits', '2048']);
  certs([
    'issue',
    '--ca-dir',
    f.ca,
    '--kind',
    'broker',
    '--statefulset',
    CLUSTER.statefulset,
    '--namespace',
    CLUSTER.namespace,
    '--replicas',
    String(CLUSTER.replicas),
    '--external-host-template',
    EXTERNAL_TEMPLATE,
    '--dns',
    '127.0.0.1',
    '--out-dir',
    f.broker,
  ]);
  certs([
    'issue',
    '--ca-dir',
    f.ca,
    '--kind',
    'client',
    '--name',
    'schema-registry',
    '--out-dir',
    f.client,
  ]);
  certs([
    'rotate',
    '--ca-dir',
    f.ca,
    '--in',
    f.client,
    '--trust-ca',
    path.join(f.nextCa, 'ca.crt'),
    '--out-dir',
    f.clientTrustsBoth,
  ]);
  certs([
    'rotate',
    '--ca-dir',
    f.ca,
    '--new-ca-dir',
    f.nextCa,
    '--in',
    f.broker,
    '--out-dir',
    f.brokerSignedByNext,
  ]);
  certs([
    'rotate',
    '--ca-dir',
    f.nextCa,
    '--in',
    f.brokerSignedByNext,
    '--drop-ca',
    caFingerprint(f.ca),
    '--out-dir',
    f.brokerNextOnly,
  ]);
  return f;
}
