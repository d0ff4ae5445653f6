/**
 * Keystore encoding on a worker thread when the worker script is there (the built bundle ships
 * dist/keystore-worker.js beside itself), on this thread otherwise (tests run the TypeScript
 * sources, where the same encoder runs inline). One long-lived worker, which keeps the process
 * alive only while it has jobs; a failed worker fails its pending jobs and the next job starts a
 * new one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import forge from 'node-forge';
import type { KeystoreAnswer, KeystoreJob } from './keystore-worker';
import { encodeKeystore } from './pkcs12';

const WORKER_FILE = path.join(__dirname, 'keystore-worker.js');

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();

function startWorker(): Worker {
  const started = new Worker(WORKER_FILE);
  started.on('message', (answer: KeystoreAnswer) => {
    const job = pending.get(answer.id);
    if (!job) return;
    pending.delete(answer.id);
    if (pending.size === 0) started.unref();
    if ('error' in answer) job.reject(new Error(`keystore worker: ${answer.error}`));
    else job.resolve(Buffer.from(answer.bytes));
  });
  const fail = (error: Error) => {
    worker = undefined;
    for (const job of pending.values()) job.reject(error);
    pending.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`keystore worker exited with ${code}`)));
  // After the listeners: adding a 'message' listener refs the worker again.
  started.unref();
  return started;
}

export function encodeKeystoreOffThread(options: {
  key: forge.pki.rsa.PrivateKey;
  chain: forge.pki.Certificate[];
  password: string;
}): Promise<Buffer> {
  if (!existsSync(WORKER_FILE)) return Promise.resolve(encodeKeystore(options));
  worker ??= startWorker();
  const job: KeystoreJob = {
    id: nextId++,
    keyPem: forge.pki.privateKeyToPem(options.key),
    chainPem: options.chain.map((cert) => forge.pki.certificateToPem(cert)),
    password: options.password,
  };
  const current = worker;
  return new Promise((resolve, reject) => {
    pending.set(job.id, { resolve, reject });
    current.ref();
    current.postMessage(job);
  });
}
