// The ceiling for the admission benchmarks: a bare Node server that reads the body, takes the uid
// and answers `allowed: true`. Nothing kafka-warden does is cheaper than this.
// Usage: bare-echo-server.mjs CERT KEY [h2]. Without `h2`, an HTTPS/1.1 server (autocannon's
// protocol, bench/admission.mjs). With `h2`, HTTP/2 beside HTTP/1.1 with the flow-control windows
// and socket options of kafka-warden serve (src/server/admission-server.ts), as the API server
// negotiates with a webhook (bench/pod-create-latency.ts): the floor of any webhook's cost.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { createSecureServer } from 'node:http2';

const [certFile, keyFile, protocol] = process.argv.slice(2);
const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' };
const answer = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const review = JSON.parse(Buffer.concat(chunks).toString());
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        apiVersion: review.apiVersion,
        kind: 'AdmissionReview',
        response: { uid: review.request.uid, allowed: true },
      }),
    );
  });
};
const server =
  protocol === 'h2'
    ? createSecureServer(
        { ...tls, allowHTTP1: true, settings: { initialWindowSize: 4 * 1024 * 1024 } },
        answer,
      )
    : createServer(tls, answer);
server.keepAliveTimeout = 30_000;
server.on('secureConnection', (socket) => socket.setNoDelay(true));
server.on('session', (session) => session.setLocalWindowSize(32 * 1024 * 1024));
server.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ port: server.address().port, msg: 'listening' })),
);
// The API server keeps its HTTP/2 connection open: close() would wait for it.
process.on('SIGTERM', () => process.exit(0));
