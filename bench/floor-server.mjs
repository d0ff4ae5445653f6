// The floor for the admission benchmark: what any webhook meeting the requirements does per
// request besides deciding. It is the bare echo (bench/bare-echo-server.mjs) plus a pino log line
// with the request's uid and the fields `kafka-warden serve` logs, written as serve writes it, plus
// the Prometheus counter and latency histogram serve keeps, and, given a file, the answer carrying
// that JSON Patch (base64, read once): kafka-warden's patch for the benchmark's pod, so the answer
// is as large as a cache hit's. Nothing is decided: the gap between this and the echo is the cost
// of the required logging, metrics and answer size; the gap between kafka-warden and this is
// kafka-warden's own.
// Usage: floor-server.mjs CERT KEY [PATCH_FILE]
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import pino from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';

const [certFile, keyFile, patchFile] = process.argv.slice(2);
const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' };
const patch = patchFile ? readFileSync(patchFile, 'utf8').trim() : undefined;
const logger = pino({ level: 'info', base: { service: 'kafka-warden' } });
const registry = new Registry();
const requests = new Counter({
  name: 'requests_total',
  help: 'requests',
  labelNames: ['webhook', 'operation', 'result'],
  registers: [registry],
});
const duration = new Histogram({
  name: 'duration_seconds',
  help: 'duration',
  labelNames: ['webhook'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [registry],
});
const webhook = patch ? 'mutate' : 'validate';

const server = createServer(tls, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const started = process.hrtime.bigint();
    const { apiVersion, request } = JSON.parse(Buffer.concat(chunks).toString());
    const response = patch
      ? { uid: request.uid, allowed: true, patchType: 'JSONPatch', patch }
      : { uid: request.uid, allowed: true };
    const body = JSON.stringify({ apiVersion, kind: 'AdmissionReview', response });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    requests.inc({ webhook, operation: request.operation, result: 'allowed' });
    duration.observe({ webhook }, seconds);
    logger.info(
      {
        uid: request.uid,
        webhook,
        kind: request.kind?.kind,
        namespace: request.namespace,
        name: request.name ?? request.object?.metadata?.name,
        operation: request.operation,
        dryRun: request.dryRun,
        result: 'allowed',
        patchOperations: patch ? 1 : 0,
        ms: Math.round(seconds * 1e4) / 10,
        http: req.httpVersion,
      },
      'admission',
    );
  });
});
server.keepAliveTimeout = 30_000;
server.on('secureConnection', (socket) => socket.setNoDelay(true));
server.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ port: server.address().port, msg: 'listening' })),
);
process.on('SIGTERM', () => process.exit(0));
