/**
 * The admission server over real HTTPS: a client that verifies the server against its CA, TLS 1.2
 * as the floor, the serving certificate replaced under load with no failed request.
 */
import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { AdmissionServer } from '../../src/server/admission-server';
import { readPair, watchPair } from '../../src/server/serving-certificate';
import { writeSelfSigned, type SelfSignedFiles } from '../../src/server/self-signed';
import { mutationApp } from '../support/app';
import { admissionReview } from '../support/pods';

const plainPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'c' }] },
};
const body = JSON.stringify(admissionReview(plainPod));

function post(
  port: number,
  ca: Buffer,
  agent: Agent,
): Promise<{ status: number; peerFingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        path: '/mutate',
        method: 'POST',
        ca,
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate()
          .fingerprint256;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, peerFingerprint: fingerprint }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the admission server over HTTPS', () => {
  let first: SelfSignedFiles;
  let second: SelfSignedFiles;
  let server: AdmissionServer;
  let port: number;

  beforeAll(async () => {
    [first, second] = await Promise.all([
      writeSelfSigned(['localhost', '127.0.0.1']),
      writeSelfSigned(['localhost', '127.0.0.1']),
    ]);
    server = new AdmissionServer({
      app: mutationApp().app,
      certificate: readPair(first.certFile, first.keyFile),
      host: '127.0.0.1',
      port: 0,
      shutdownDelayMs: 0,
      shutdownTimeoutMs: 2000,
    });
    port = (await server.listen()).port;
  }, 30_000);
  afterAll(() => server.drain());

  test('a client that verifies the CA gets an answer; one that does not know the CA is refused', async () => {
    const agent = new Agent({ keepAlive: true });
    expect((await post(port, readFileSync(first.caFile), agent)).status).toBe(200);
    await expect(post(port, readFileSync(second.caFile), new Agent())).rejects.toThrow(
      /self-signed|unable to verify|certificate/i,
    );
    agent.destroy();
  });

  test('TLS 1.1 is refused', async () => {
    await expect(
      new Promise((resolve, reject) => {
        const socket = tlsConnect(
          {
            host: '127.0.0.1',
            port,
            ca: readFileSync(first.caFile),
            servername: 'localhost',
            maxVersion: 'TLSv1.1',
            minVersion: 'TLSv1',
          },
          () => resolve(socket.getProtocol()),
        );
        socket.on('error', reject);
      }),
    ).rejects.toThrow();
  });

  test('replacing the certificate files under load: no failed request, new connections see the new certificate', async () => {
    const dir = first.dir;
    const live = { cert: path.join(dir, 'live.crt'), key: path.join(dir, 'live.key') };
    copyFileSync(first.certFile, live.cert);
    copyFileSync(first.keyFile, live.key);
    const watcher = watchPair(
      live.cert,
      live.key,
      (pair) => server.replaceCertificate(pair),
      () => undefined,
      50,
    );
    // Both CAs are trusted by the client, as during a real rotation with overlap.
    const ca = Buffer.concat([readFileSync(first.caFile), readFileSync(second.caFile)]);
    const agents = Array.from({ length: 8 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    const failures: unknown[] = [];
    const fingerprints = new Set<string>();
    let stop = false;
    const load = agents.map(async (agent, i) => {
      let n = 0;
      while (!stop && n < 2000) {
        n++;
        // Every 5th request on a fresh connection, so new handshakes happen throughout.
        const a = n % 5 === 0 ? new Agent() : agent;
        try {
          const r = await post(port, ca, a);
          if (r.status !== 200) failures.push(r.status);
          fingerprints.add(r.peerFingerprint);
        } catch (error) {
          failures.push(`${i}: ${String(error)}`);
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    // Swap both files the way a Secret volume does: write elsewhere, rename into place.
    writeFileSync(`${live.key}.tmp`, readFileSync(second.keyFile));
    writeFileSync(`${live.cert}.tmp`, readFileSync(second.certFile));
    renameSync(`${live.key}.tmp`, live.key);
    renameSync(`${live.cert}.tmp`, live.cert);
    await new Promise((r) => setTimeout(r, 800));
    stop = true;
    await Promise.all(load);
    watcher.stop();
    agents.forEach((a) => a.destroy());
    expect(failures).toEqual([]);
    expect(fingerprints.size).toBe(2);
  }, 30_000);
});
