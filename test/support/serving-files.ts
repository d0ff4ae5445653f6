/**
 * A throw-away serving pair as files, for tests and benchmarks that need them on disk: a server
 * whose certificate is replaced under load, a bare server in another process. `serve` itself keeps
 * its self-signed key in memory (src/server/self-signed.ts); here the caller removes `dir`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSelfSigned, writeCaCertificate } from '../../src/server/self-signed';

export interface SelfSignedFiles {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export async function writeSelfSigned(hosts: string[], days = 30): Promise<SelfSignedFiles> {
  const { caPem, pair } = await createSelfSigned(hosts, days);
  const { dir, caFile } = writeCaCertificate(caPem);
  const files = {
    dir,
    caFile,
    certFile: path.join(dir, 'tls.crt'),
    keyFile: path.join(dir, 'tls.key'),
  };
  writeFileSync(files.certFile, pair.cert);
  writeFileSync(files.keyFile, pair.key, { mode: 0o600 });
  return files;
}
