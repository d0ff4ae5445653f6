/**
 * serve --client-ca: the admission paths answer only callers whose certificate the given CA signed
 * (the API server, configured through its AdmissionConfiguration), over HTTP/1.1 and HTTP/2; the
 * probes stay open to the kubelet, which presents no certificate.
 */
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { AdmissionServer } from '../../src/server/admission-server';
import { admissionHandlers, probeHandlers } from '../../src/server/app';
import { createSelfSigned } from '../../src/server/self-signed';
import { createCa } from '../../src/tls/ca';
import { certificateToPem, issueLeafCertificate } from '../../src/tls/certificates';
import { generateRsaKey, privateKeyToPem } from '../../src/tls/keys';
import { validityFrom } from '../../src/tls/validity';
import { mutationApp } from '../support/app';
import { admissionReview } from '../support/pods';

const review = JSON.stringify(
  admissionReview({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: [{ name: 'c' }] },
  }),
);

interface ClientPair {
  cert: string;
  key: string;
}

async function clientSignedBy(ca: Awaited<ReturnType<typeof createCa>>['ca']): Promise<ClientPair> {
  const key = await generateRsaKey(2048);
  const cert = issueLeafCertificate({
    ca,
    commonName: 'kube-apiserver-webhook-client',
    subjectAltNames: { dns: [], ip: [] },
    extendedKeyUsage: ['clientAuth'],
    publicKey: key.publicKey,
    validity: validityFrom(new Date(), 1),
  });
  return { cert: certificateToPem(cert), key: privateKeyToPem(key) };
}

let server: AdmissionServer;
let port: number;
let serverCa: string;
let trusted: ClientPair;
let stranger: ClientPair;

beforeAll(async () => {
  const [serving, apiServerCa, otherCa] = await Promise.all([
    createSelfSigned(['localhost', '127.0.0.1']),
    createCa({ bits: 2048 }),
    createCa({ bits: 2048 }),
  ]);
  serverCa = serving.caPem;
  [trusted, stranger] = await Promise.all([
    clientSignedBy(apiServerCa.ca),
    clientSignedBy(otherCa.ca),
  ]);
  const { app, deps } = mutationApp();
  server = new AdmissionServer({
    app,
    admission: admissionHandlers(deps),
    probes: probeHandlers(deps),
    certificate: serving.pair,
    clientCa: Buffer.from(apiServerCa.pem.certificate),
    host: '127.0.0.1',
    port: 0,
    shutdownDelayMs: 0,
    shutdownTimeoutMs: 2000,
  });
  port = (await server.listen()).port;
}, 60_000);
afterAll(() => server.drain());

function http1(path: string, client?: ClientPair): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        path,
        method: path === '/healthz' ? 'GET' : 'POST',
        ca: serverCa,
        ...(client ?? {}),
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(path === '/healthz' ? undefined : review);
  });
}

function http2(path: string, client?: ClientPair): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, {
      ca: serverCa,
      servername: 'localhost',
      ...(client ?? {}),
    });
    session.on('error', reject);
    const stream = session.request({
      ':method': path === '/healthz' ? 'GET' : 'POST',
      ':path': path,
      'content-type': 'application/json',
    });
    stream.on('response', (headers) => {
      resolve(Number(headers[':status']));
      session.close();
    });
    stream.on('error', reject);
    stream.end(path === '/healthz' ? undefined : review);
  });
}

describe.each([
  ['HTTP/1.1', http1],
  ['HTTP/2', http2],
])('serve with a client CA, over %s', (_protocol, send) => {
  test.each(['/mutate', '/validate'])('%s answers a caller the CA signed', async (path) => {
    expect(await send(path, trusted)).toBe(200);
  });

  test.each(['/mutate', '/validate'])(
    '%s refuses a caller without a certificate, or with one another CA signed (401)',
    async (path) => {
      expect(await send(path)).toBe(401);
      expect(await send(path, stranger)).toBe(401);
    },
  );

  test('/healthz answers the kubelet, which has no certificate', async () => {
    expect(await send('/healthz')).toBe(200);
  });
});
