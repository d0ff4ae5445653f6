// The ceiling for the admission benchmark: a bare Node https server that reads the body, takes the
// uid and answers `allowed: true`. Nothing kafka-warden does is cheaper than this.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [certFile, keyFile] = process.argv.slice(2);
const server = createServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' },
  (req, res) => {
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
  },
);
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ port: server.address().port, msg: 'listening' })),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
