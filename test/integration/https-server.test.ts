/**
 * The admission server over real HTTPS: a client that verifies the server against its CA, TLS 1.2
 * as the floor, the serving certificate replaced under load with no failed request; HTTP/2 beside
 * HTTP/1.1, and a drain under HTTP/2 load that fails no request.
 */
import { copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { Agent, request as httpsRequest } from 'node:https';
import path from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { AdmissionServer } from '../../src/server/admission-server';
import { admissionHandlers, probeHandlers } from '../../src/server/app';
import { readPair, watchPair } from '../../src/server/serving-certificate';
import { writeSelfSigned, type SelfSignedFiles } from '../support/serving-files';
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
  afterAll(async () => {
    await server.drain();
    for (const { dir } of [first, second]) rmSync(dir, { recursive: true, force: true });
  });

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

  /** A bare TLS handshake with the server: the protocol and cipher it settled on. */
  function handshake(
    options: ConnectionOptions,
  ): Promise<{ protocol: string | null; cipher: string }> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect(
        {
          host: '127.0.0.1',
          port,
          ca: readFileSync(first.caFile),
          servername: 'localhost',
          ...options,
        },
        () => {
          resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name });
          socket.end();
        },
      );
      socket.on('error', reject);
    });
  }

  test.each([
    ['AES128-SHA', 'RSA key exchange, CBC'],
    ['AES256-GCM-SHA384', 'RSA key exchange'],
    ['ECDHE-RSA-AES128-SHA', 'CBC'],
    ['ECDHE-RSA-AES256-SHA384', 'CBC'],
    ['DHE-RSA-AES128-GCM-SHA256', 'finite-field DHE'],
  ])('TLS 1.2 offering only %s (%s) is refused', async (cipher) => {
    await expect(handshake({ maxVersion: 'TLSv1.2', ciphers: cipher })).rejects.toThrow(
      /handshake failure|no shared cipher|no ciphers available/,
    );
  });

  test.each([
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ])('TLS 1.2 offering only %s is accepted', async (cipher) => {
    await expect(handshake({ maxVersion: 'TLSv1.2', ciphers: cipher })).resolves.toEqual({
      protocol: 'TLSv1.2',
      cipher,
    });
  });

  test.each(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'])(
    'TLS 1.3 keeps %s',
    async (cipher) => {
      await expect(handshake({ minVersion: 'TLSv1.3', ciphers: cipher })).resolves.toEqual({
        protocol: 'TLSv1.3',
        cipher,
      });
    },
  );

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

interface Http2Answer {
  status: number;
  body: string;
}

function http2Request(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  payload?: string,
): Promise<Http2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
    stream.on('error', reject);
    stream.end(payload);
  });
}

// The API server appends its timeout to the webhook's URL.
const mutateHeaders = {
  ':method': 'POST',
  ':path': '/mutate?timeout=10s',
  'content-type': 'application/json',
};

describe('the admission server over HTTP/2 (what the API server negotiates when offered)', () => {
  let files: SelfSignedFiles;
  let server: AdmissionServer;
  let port: number;
  let ca: Buffer;

  beforeAll(async () => {
    files = await writeSelfSigned(['localhost', '127.0.0.1']);
    ca = readFileSync(files.caFile);
  }, 30_000);
  afterAll(() => rmSync(files.dir, { recursive: true, force: true }));

  async function start(): Promise<void> {
    const { app, deps } = mutationApp();
    server = new AdmissionServer({
      app,
      admission: admissionHandlers(deps),
      probes: probeHandlers(deps),
      certificate: readPair(files.certFile, files.keyFile),
      host: '127.0.0.1',
      port: 0,
      shutdownDelayMs: 200,
      shutdownTimeoutMs: 5000,
    });
    port = (await server.listen()).port;
  }

  function connect(): Promise<ClientHttp2Session> {
    return new Promise((resolve, reject) => {
      const session = http2Connect(`https://127.0.0.1:${port}`, { ca, servername: 'localhost' });
      session.once('connect', () => resolve(session));
      session.once('error', reject);
    });
  }

  test('ALPN offers h2; /mutate, /validate and the probes answer over one multiplexed session', async () => {
    await start();
    try {
      const session = await connect();
      expect(session.alpnProtocol).toBe('h2');
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => http2Request(session, mutateHeaders, body)),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
      const review = JSON.parse(answers[0]?.body ?? '{}') as { response?: { allowed?: boolean } };
      expect(review.response?.allowed).toBe(true);
      const validated = await http2Request(
        session,
        { ...mutateHeaders, ':path': '/validate?timeout=5s' },
        body,
      );
      expect(validated.status).toBe(200);
      expect(await http2Request(session, { ':method': 'GET', ':path': '/healthz' })).toEqual({
        status: 200,
        body: 'ok',
      });
      expect(await http2Request(session, { ':method': 'GET', ':path': '/readyz' })).toEqual({
        status: 200,
        body: 'ready',
      });
      const metrics = await http2Request(session, { ':method': 'GET', ':path': '/metrics' });
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('kafka_warden_admission_requests_total');
      const missing = await http2Request(session, { ':method': 'GET', ':path': '/nope' });
      expect(missing.status).toBe(404);
      expect(missing.body).toContain('POST /mutate');
      const wrongType = await http2Request(
        session,
        { ...mutateHeaders, 'content-type': 'text/plain' },
        'hello',
      );
      expect(wrongType.status).toBe(415);
      session.close();
    } finally {
      await server.drain();
    }
  }, 30_000);

  test('HTTP/1.1 clients are still served on the same port', async () => {
    await start();
    try {
      const agent = new Agent({ keepAlive: true });
      expect((await post(port, ca, agent)).status).toBe(200);
      agent.destroy();
    } finally {
      await server.drain();
    }
  }, 30_000);

  test('draining under HTTP/2 load: every request answered, sessions told to go away', async () => {
    await start();
    const session = await connect();
    let goaway = false;
    session.on('goaway', () => (goaway = true));
    const failures: unknown[] = [];
    let answered = 0;
    let stop = false;
    // Ten concurrent streams at a time on the one session until the server sends GOAWAY.
    const load = Array.from({ length: 10 }, async () => {
      while (!stop && !session.closed && !session.destroyed && !goaway) {
        try {
          const answer = await http2Request(session, mutateHeaders, body);
          if (answer.status === 200) answered++;
          else failures.push(answer.status);
        } catch (error) {
          // A stream refused by GOAWAY never reached the server (the client retries it elsewhere).
          if (!goaway) failures.push(String(error));
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const drained = server.drain();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(load), new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
    stop = true;
    await Promise.all(load);
    await drained;
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(10);
    expect(goaway).toBe(true);
    session.destroy();
  }, 30_000);
});
