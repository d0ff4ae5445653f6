/**
 * The body of the keystore worker thread (bundled as dist/keystore-worker.js): PEM in, PKCS#12
 * keystore bytes out. Encoding a keystore is node-forge's 3DES and key derivation in JavaScript,
 * tens of milliseconds of CPU per keystore (bench/README.md, "Keystore issuance"), which must not
 * hold the admission server's event loop.
 */
import { parentPort } from 'node:worker_threads';
import forge from 'node-forge';
import { encodeKeystore } from './pkcs12';

export interface KeystoreJob {
  id: number;
  keyPem: string;
  chainPem: string[];
  password: string;
}

export type KeystoreAnswer = { id: number; bytes: Uint8Array } | { id: number; error: string };

parentPort?.on('message', (job: KeystoreJob) => {
  try {
    const bytes = encodeKeystore({
      key: forge.pki.privateKeyFromPem(job.keyPem),
      chain: job.chainPem.map((pem) => forge.pki.certificateFromPem(pem)),
      password: job.password,
    });
    const copy = new Uint8Array(bytes);
    parentPort?.postMessage({ id: job.id, bytes: copy } satisfies KeystoreAnswer, [copy.buffer]);
  } catch (error) {
    parentPort?.postMessage({
      id: job.id,
      error: (error as Error).message,
    } satisfies KeystoreAnswer);
  }
});
