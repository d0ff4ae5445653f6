/**
 * Clients that hold the server's resources instead of using them: a body that never ends (HTTP/1.1
 * and HTTP/2), a stream flood. Each gets a bounded answer and the server goes on serving others.
 */
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { Agent, request as httpsRequest } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { AdmissionServer } from '../../src/server/admission-server';
import { admissionHandlers, probeHandlers } from '../../src/server/app';
import { createSelfSigned } from '../../src/server/self-signed';
import { mutationApp } from '../support/app';

const BODY_TIMEOUT_MS = 300;

let server: AdmissionServer;
let port: number;
let ca: Buffer;

beforeAll(async () => {
  const { caPem, pair } = await createSelfSigned(['localhost', '127.0.0.1']);
  ca = Buffer.from(caPem);
  const { app, deps } = mutationApp();
  deps.bodyTimeoutMs = BODY_TIMEOUT_MS;
  server = new AdmissionServer({
    app,
    admission: admissionHandlers(deps),
    probes: probeHandlers(deps),
    certificate: pair,
    host: '127.0.0.1',
    port: 0,
    shutdownDelayMs: 0,
    shutdownTimeoutMs: 2000,
  });
  port = (await server.listen()).port;
}, 30_000);
afterAll(() => server.drain());

function http2Session(): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, { ca, servername: 'localhost' });
    session.once('remoteSettings', () => resolve(session));
    session.once('error', reject);
  });
}

describe('a request body that never ends', () => {
  test('over HTTP/1.1: a 408 after the body deadline, then the connection is closed', async () => {
    const started = Date.now();
    const { response, closed } = await new Promise<{ response: string; closed: boolean }>(
      (resolve, reject) => {
        const socket: TLSSocket = tlsConnect(
          { host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] },
          () => {
            socket.write(
              'POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
                'Content-Length: 1000\r\n\r\n{"kind":',
            );
          },
        );
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        socket.on('close', () => resolve({ response: text, closed: true }));
        socket.on('error', reject);
        setTimeout(() => resolve({ response: text, closed: false }), 5000);
      },
    );
    expect(response).toMatch(/^HTTP\/1\.1 408/);
    expect(response).toMatch(/\r\nconnection: close\r\n/i);
    expect(response).toContain(`body not received within ${BODY_TIMEOUT_MS} ms`);
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('over HTTP/1.1 kept alive: after a 413 the answer says Connection: close, and the next request goes on a new connection', async () => {
    // A client that keeps connections alive (the API server's does) reused the one the server
    // closed after the 413 and saw its next request reset.
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca, servername: 'localhost' });
    const post = (body: Buffer) =>
      new Promise<{ status: number; connection?: string } | string>((resolve) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/validate',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': body.length },
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }),
            );
          },
        );
        req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        req.end(body);
      });
    try {
      for (let i = 0; i < 3; i++) {
        expect(await post(Buffer.alloc(3 * 1024 * 1024 + 1, ' '))).toEqual({
          status: 413,
          connection: 'close',
        });
        expect(await post(Buffer.from('{}'))).toEqual({ status: 400, connection: 'keep-alive' });
      }
    } finally {
      agent.destroy();
    }
  });

  test('over HTTP/2: a 408 and the stream ends; the same connection serves the next request', async () => {
    const session = await http2Session();
    try {
      const stalled = await new Promise<number>((resolve, reject) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/mutate',
          'content-type': 'application/json',
        });
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.on('error', reject);
        stream.write('{"kind":');
      });
      expect(stalled).toBe(408);
      const healthy = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':method': 'GET', ':path': '/healthz' });
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.on('error', reject);
        stream.end();
      });
      expect(healthy).toBe(200);
    } finally {
      session.destroy();
    }
  });
});

describe('HTTP/2 limits', () => {
  test('the server announces a bounded number of concurrent streams per connection', async () => {
    const session = await http2Session();
    try {
      expect(session.remoteSettings.maxConcurrentStreams).toBe(128);
    } finally {
      session.destroy();
    }
  });

  test('200 streams that never send their bodies: each times out, and /healthz answers throughout', async () => {
    const session = await http2Session();
    const probe = await http2Session();
    try {
      const statuses = Array.from(
        { length: 200 },
        () =>
          new Promise<number | string>((resolve) => {
            const stream = session.request({
              ':method': 'POST',
              ':path': '/validate',
              'content-type': 'application/json',
            });
            stream.on('response', (headers) => resolve(Number(headers[':status'])));
            stream.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
            stream.write('{');
          }),
      );
      const healthStarted = Date.now();
      const health = await new Promise<number>((resolve, reject) => {
        const stream = probe.request({ ':method': 'GET', ':path': '/healthz' });
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.on('error', reject);
        stream.end();
      });
      expect(health).toBe(200);
      expect(Date.now() - healthStarted).toBeLessThan(1000);
      // Streams beyond the announced limit wait in the client until earlier ones end: every one
      // is answered, none is left hanging.
      expect(new Set(await Promise.all(statuses))).toEqual(new Set([408]));
    } finally {
      session.destroy();
      probe.destroy();
    }
  }, 20_000);
});
