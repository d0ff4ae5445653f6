/**
 * The HTTPS server around the app: TLS 1.2+, the serving certificate hot-swapped, and a shutdown
 * that loses no request. On drain: /readyz turns 503 and every response says `Connection: close`
 * (so clients stop reusing connections), the server keeps accepting for `shutdownDelayMs` while
 * endpoints are updated, then stops accepting and waits for requests in flight.
 */
import { createServer, type Server } from 'node:https';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import type express from 'express';
import type { Handler, Webhook } from './admission-handler';
import { TLS_OPTIONS, type CertificatePair } from './serving-certificate';

const ADMISSION_PATHS: Record<string, Webhook | undefined> = {
  '/mutate': 'mutate',
  '/validate': 'validate',
};

export interface AdmissionServerOptions {
  app: express.Express;
  /** POST /mutate and /validate go straight to these (the app routes to the same handlers). */
  admission?: Record<Webhook, Handler>;
  certificate: CertificatePair;
  host: string;
  port: number;
  /** How long to keep serving after a drain starts, for endpoints to stop routing here. */
  shutdownDelayMs: number;
  /** After this, connections still open are closed. */
  shutdownTimeoutMs: number;
}

export class AdmissionServer {
  private readonly server: Server;
  private inFlight = 0;
  private draining = false;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: AdmissionServerOptions) {
    this.server = createServer({ ...TLS_OPTIONS, ...options.certificate }, (req, res) => {
      this.inFlight++;
      res.on('close', () => this.inFlight--);
      if (this.draining) res.setHeader('Connection', 'close');
      const admission =
        req.method === 'POST'
          ? options.admission?.[ADMISSION_PATHS[req.url ?? ''] as Webhook]
          : undefined;
      if (admission) admission(req, res);
      else options.app(req, res);
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // Connections idle between API server requests: keep them open long enough to be reused.
    this.server.keepAliveTimeout = 30_000;
    this.server.headersTimeout = 35_000;
    this.server.requestTimeout = 30_000;
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
    this.server.setSecureContext({ ...TLS_OPTIONS, ...pair });
  }

  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
