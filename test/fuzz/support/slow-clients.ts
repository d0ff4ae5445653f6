/**
 * Clients that send part of a body and then stall: the server must answer 408 after its body
 * deadline and go on serving everyone else meanwhile.
 */
import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';

export interface SlowAnswer {
  protocol: 'http1' | 'http2';
  /** The status line's code, or what happened instead. */
  status: number | string;
  ms: number;
}

export function stallHttp1(port: number, ca: Buffer, giveUpMs: number): Promise<SlowAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let text = '';
    const finish = (status: number | string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ protocol: 'http1', status, ms: performance.now() - started });
    };
    const socket = tlsConnect(
      { host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] },
      () =>
        socket.write(
          'POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
            'Content-Length: 5000\r\n\r\n{"apiVersion":"admission.k8s.io/v1","kind":',
        ),
    );
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      if (status && text.includes('\r\n\r\n')) finish(Number(status));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.on('close', () => finish('closed without an answer'));
    const timer = setTimeout(() => finish('no answer'), giveUpMs);
  });
}

export function stallHttp2(port: number, ca: Buffer, giveUpMs: number): Promise<SlowAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, { ca, servername: 'localhost' });
    session.on('error', () => {});
    const finish = (status: number | string) => {
      clearTimeout(timer);
      session.destroy();
      resolve({ protocol: 'http2', status, ms: performance.now() - started });
    };
    const stream = session.request({
      ':method': 'POST',
      ':path': '/mutate',
      'content-type': 'application/json',
    });
    stream.on('response', (headers) => finish(Number(headers[':status'])));
    stream.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    stream.write('{"apiVersion":"admission.k8s.io/v1","kind":');
    const timer = setTimeout(() => finish('no answer'), giveUpMs);
  });
}
