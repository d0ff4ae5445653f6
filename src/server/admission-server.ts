/**
 * The HTTPS server around the app: TLS 1.2+, HTTP/2 and HTTP/1.1 on one port (ALPN), the serving
 * certificate hot-swapped, and a shutdown that loses no request.
 *
 * HTTP/2 because that is what the API server speaks to a webhook that offers it: every admission
 * call then shares one multiplexed connection. Over HTTP/1.1 the API server keeps at most 25 idle
 * connections per webhook host (client-go's transport), so a burst of concurrent pod creations
 * opens, and pays a TLS handshake for, a new connection for most calls above that.
 *
 * On drain: /readyz turns 503 and clients are told to stop reusing their connections (HTTP/1.1:
 * `Connection: close` on every response; HTTP/2: a GOAWAY after the current streams), the server
 * keeps accepting for `shutdownDelayMs` while endpoints are updated, then stops accepting and waits
 * for requests in flight.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import type express from 'express';
import { TLSSocket } from 'node:tls';
import { reject, type Handler, type RequestStream, type Webhook } from './admission-handler';
import { TLS_OPTIONS, type CertificatePair } from './serving-certificate';

/** Per stream: a whole review up to the 3 MiB body limit flows without waiting. */
const HTTP2_STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
/**
 * Per connection: room for a burst of concurrent reviews (a Pod review is ~10 KiB), and what one
 * connection may make the server buffer. Below the session's memory budget: a window above it
 * let a client fill the budget, after which node:http2 refused every new stream on that
 * connection for good instead of closing it.
 */
const HTTP2_CONNECTION_WINDOW_BYTES = 8 * 1024 * 1024;
/** node:http2's per-session budget (in MB) for buffered frames, above the connection window. */
const HTTP2_SESSION_MEMORY_MB = 16;
/** Concurrent streams per connection: the API server's bursts, not 2^32 - 1 (the default). */
const HTTP2_MAX_CONCURRENT_STREAMS = 128;
/**
 * A connection with no traffic for this long is closed. The API server's HTTP/2 client pings an
 * idle connection every 30 s, and its HTTP/1.1 connections are idle for at most 90 s before it
 * closes them; anything quieter is a client that will not come back, or one holding sockets.
 */
const IDLE_CONNECTION_TIMEOUT_MS = 5 * 60_000;

const ADMISSION_PATHS: Record<string, Webhook | undefined> = {
  '/mutate': 'mutate',
  '/validate': 'validate',
};

export interface AdmissionServerOptions {
  /** Everything over HTTP/1.1 that is not dispatched directly. */
  app: express.Express;
  /** POST /mutate and /validate go straight to these (the app routes to the same handlers). */
  admission?: Record<Webhook, Handler>;
  /**
   * GET routes by path for HTTP/2 clients, which express cannot serve (see probeHandlers in
   * app.ts). Without them, an HTTP/2 GET gets a 404 naming the admission paths.
   */
  probes?: Readonly<Record<string, Handler>>;
  certificate: CertificatePair;
  /**
   * CA certificates (PEM) that sign the API server's client certificate. When given, POST /mutate
   * and /validate answer only callers that present a certificate it signed (401 otherwise); the
   * probes stay open, because the kubelet presents none.
   */
  clientCa?: Buffer;
  host: string;
  port: number;
  /** How long to keep serving after a drain starts, for endpoints to stop routing here. */
  shutdownDelayMs: number;
  /** After this, connections still open are closed. */
  shutdownTimeoutMs: number;
}

export class AdmissionServer {
  private readonly server: Http2SecureServer;
  private inFlight = 0;
  private draining = false;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<ServerHttp2Session>();

  constructor(private readonly options: AdmissionServerOptions) {
    this.server = createSecureServer(
      {
        ...TLS_OPTIONS,
        ...options.certificate,
        // Asked for, not required at the handshake: the probes have no certificate to give.
        ...(options.clientCa
          ? { ca: options.clientCa, requestCert: true, rejectUnauthorized: false }
          : {}),
        allowHTTP1: true,
        // HTTP/2's default flow-control window is 64 KiB per stream and per connection: with the
        // API server's admission calls (a Pod review is ~10 KiB) all multiplexed on one connection,
        // a burst of a few dozen concurrent calls would wait on window updates.
        settings: {
          initialWindowSize: HTTP2_STREAM_WINDOW_BYTES,
          maxConcurrentStreams: HTTP2_MAX_CONCURRENT_STREAMS,
        },
        maxSessionMemory: HTTP2_SESSION_MEMORY_MB,
      },
      (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
        this.inFlight++;
        res.on('close', () => this.inFlight--);
        if ('stream' in req) this.serveHttp2(req, res as Http2ServerResponse);
        else this.serveHttp1(req, res as ServerResponse);
      },
    );
    this.server.on('connection', (socket: Socket) => {
      // node:http sets this for its own servers; node:http2's does not, and Nagle's algorithm
      // holds back a response's second frame (HEADERS, then DATA) until the client acknowledges
      // the first: milliseconds per admission call.
      socket.setNoDelay(true);
      socket.setTimeout(IDLE_CONNECTION_TIMEOUT_MS, () => socket.destroy());
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('session', (session: ServerHttp2Session) => {
      session.setLocalWindowSize(HTTP2_CONNECTION_WINDOW_BYTES);
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
      // A session error (a protocol violation, its memory budget exceeded) ends that connection;
      // unhandled, it would end the process.
      session.on('error', () => session.destroy());
      // A session opened during the drain is told at once; its first streams are still served.
      if (this.draining) session.close();
    });
    // Connections idle between API server requests: keep them open long enough to be reused.
    // node:http2 hands HTTP/1.1 connections to node:http's connection handling, which reads these
    // from the server object; @types/node declares them only on http.Server.
    Object.assign(this.server, {
      keepAliveTimeout: 30_000,
      headersTimeout: 35_000,
      requestTimeout: 30_000,
    } satisfies Partial<
      Pick<import('node:http').Server, 'keepAliveTimeout' | 'headersTimeout' | 'requestTimeout'>
    >);
  }

  private serveHttp1(req: IncomingMessage, res: ServerResponse): void {
    if (this.draining) res.setHeader('Connection', 'close');
    const admission = this.admissionHandler(req.method, req.url);
    if (admission) admission(req, res);
    else this.options.app(req, res);
  }

  private serveHttp2(req: Http2ServerRequest, res: Http2ServerResponse): void {
    // GOAWAY once this stream (and any other open one) is answered: the client's next request goes
    // to a new connection, which by then the Service routes to another replica.
    if (this.draining) res.on('finish', () => req.stream.session?.close());
    const handler =
      this.admissionHandler(req.method, req.url) ??
      (req.method === 'GET' ? this.options.probes?.[pathOf(req.url)] : undefined);
    if (handler) {
      handler(req, res);
      return;
    }
    const body = JSON.stringify({
      error: `not found over HTTP/2: kafka-warden serves POST /mutate, POST /validate${
        this.options.probes ? `, GET ${Object.keys(this.options.probes).join(', ')}` : ''
      }`,
    });
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(body);
  }

  private admissionHandler(
    method: string | undefined,
    url: string | undefined,
  ): Handler | undefined {
    if (method !== 'POST') return undefined;
    const handler = this.options.admission?.[ADMISSION_PATHS[pathOf(url ?? '')] as Webhook];
    if (!handler || !this.options.clientCa) return handler;
    return (req, res) => {
      if (callerAuthorized(req)) {
        handler(req, res);
        return;
      }
      req.resume();
      reject(
        res,
        401,
        'a client certificate signed by the CA given to --client-ca is required (the API server presents it through its AdmissionConfiguration kubeConfigFile; docs/webhook.md)',
      );
    };
  }

  get isDraining(): boolean {
    return this.draining;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** New handshakes use the new pair; connections already open keep theirs. */
  replaceCertificate(pair: CertificatePair): void {
    this.server.setSecureContext({
      ...TLS_OPTIONS,
      ...pair,
      ...(this.options.clientCa ? { ca: this.options.clientCa } : {}),
    });
  }

  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    // Idle HTTP/2 sessions would otherwise learn of the drain only with their next request.
    for (const session of this.sessions) session.close();
    await sleep(this.options.shutdownDelayMs);
    // Stop accepting, but not the way http.Server.close() does it: that also destroys connections
    // with no request in progress, including one whose client is sending its request right now.
    const closed = new Promise<void>((resolve) =>
      NetServer.prototype.close.call(this.server, () => resolve()),
    );
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    // Every response now says Connection: close, so clients end their connections after it.
    while ((this.inFlight > 0 || this.sockets.size > 0) && Date.now() < deadline) {
      if (this.inFlight === 0) await this.closeQuietSockets(Math.min(1000, deadline - Date.now()));
      else await sleep(10);
    }
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Gives connections without a request a grace period to send one, then closes them. */
  private async closeQuietSockets(graceMs: number): Promise<void> {
    const quietSince = Date.now();
    while (Date.now() - quietSince < graceMs) {
      if (this.inFlight > 0 || this.sockets.size === 0) return;
      await sleep(10);
    }
    if (this.inFlight === 0) for (const socket of this.sockets) socket.destroy();
  }
}

/** Whether the TLS connection under a request (HTTP/1.1 or HTTP/2) presented a certificate the client CA signed. */
function callerAuthorized(req: RequestStream): boolean {
  const socket = (req as { socket?: unknown }).socket;
  return socket instanceof TLSSocket && socket.authorized;
}

/** The API server calls `<path>?timeout=10s`: routes match on the path alone. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
