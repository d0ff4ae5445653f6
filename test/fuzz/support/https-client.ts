/**
 * Sends fuzzed requests to a `serve` process over HTTP/1.1 (node:https, kept-alive sockets) and
 * HTTP/2 (node:http2, a few shared sessions, as the API server multiplexes), loopback only, and
 * reports what came back: a status and a body, or `reset` when the connection or stream ended
 * before any answer.
 */
import { Agent, request } from 'node:https';
import { connect, type ClientHttp2Session } from 'node:http2';

export interface Answer {
  status: number | 'reset';
  body: string;
  ms: number;
  /** The transport error, when there was one. */
  error?: string;
}

export interface SendOptions {
  path: string;
  contentType: string | undefined;
  body: Buffer;
  chunked: boolean;
  method?: string;
}

export class FuzzClient {
  private readonly agent: Agent;
  private readonly sessions: (ClientHttp2Session | undefined)[];
  private turn = 0;

  constructor(
    private readonly port: number,
    private readonly ca: Buffer,
    private readonly giveUpMs: number,
    http2Sessions = 2,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, ca, servername: 'localhost' });
    this.sessions = Array.from({ length: http2Sessions }, () => undefined);
  }

  http1(options: SendOptions): Promise<Answer> {
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (answer: Omit<Answer, 'ms'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...answer, ms: performance.now() - started });
      };
      const headers: Record<string, string | number> = {};
      if (options.contentType !== undefined) headers['content-type'] = options.contentType;
      if (!options.chunked) headers['content-length'] = options.body.length;
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: options.path,
          method: options.method ?? 'POST',
          headers,
          agent: this.agent,
          timeout: this.giveUpMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', (error) => done({ status: 'reset', body: '', error: error.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.giveUpMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) =>
        done({ status: 'reset', body: '', error: error.code ?? error.message }),
      );
      if (options.chunked) {
        // Written in pieces without a length: the server reads to the end of the chunked body.
        const piece = Math.max(1, Math.ceil(options.body.length / 3));
        for (let at = 0; at < options.body.length; at += piece) {
          req.write(options.body.subarray(at, at + piece));
        }
        req.end();
      } else req.end(options.body);
    });
  }

  http2(options: SendOptions): Promise<Answer> {
    const started = performance.now();
    const session = this.session();
    return new Promise((resolve) => {
      let settled = false;
      let status: number | undefined;
      const chunks: Buffer[] = [];
      const done = (answer: Omit<Answer, 'ms'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...answer, ms: performance.now() - started });
      };
      const headers: Record<string, string | number> = {
        ':method': options.method ?? 'POST',
        ':path': options.path,
      };
      if (options.contentType !== undefined) headers['content-type'] = options.contentType;
      if (!options.chunked) headers['content-length'] = options.body.length;
      const stream = session.request(headers);
      const timer = setTimeout(() => {
        stream.close();
        done({ status: 'reset', body: '', error: `no answer within ${this.giveUpMs} ms` });
      }, this.giveUpMs);
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // An answer before the body was taken (408, 413) comes with RST_STREAM NO_ERROR: the status
      // and body received count, whatever the stream ends with.
      stream.on('close', () =>
        done(
          status === undefined
            ? { status: 'reset', body: '', error: `stream closed (${stream.rstCode})` }
            : { status, body: Buffer.concat(chunks).toString() },
        ),
      );
      stream.on('error', () => {});
      stream.end(options.body);
    });
  }

  /** The shared HTTP/2 sessions in turn; one that ended is replaced. */
  private session(): ClientHttp2Session {
    const index = this.turn++ % this.sessions.length;
    let session = this.sessions[index];
    if (!session || session.closed || session.destroyed) {
      session = connect(`https://127.0.0.1:${this.port}`, {
        ca: this.ca,
        servername: 'localhost',
      });
      session.on('error', () => {});
      this.sessions[index] = session;
    }
    return session;
  }

  close(): void {
    this.agent.destroy();
    for (const session of this.sessions) session?.destroy();
  }
}
