// p99 latency of unrelated POST /validate requests while the same process issues broker keystores
// (batches of 20, back to back), against the same load with no issuance. autocannon at a fixed rate
// (so latency reflects event-loop stalls, not saturation), HTTPS keep-alive, 10 connections.
// Run: node bench/issuance-latency.mjs (BENCH_SECONDS=N per phase, default 10; BENCH_RATE=req/s,
// default 400). Results go to bench/README.md ("Keystore issuance") by hand.
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { load } from 'js-yaml';

const root = path.resolve(import.meta.dirname, '..');
const shared = process.env.KAFKA_WARDEN_SHARED ?? path.resolve(root, '..', 'shared');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rate = Number(process.env.BENCH_RATE ?? 400);
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

const tmp = path.join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });
const serverBundle = path.join(tmp, 'issuance-server.cjs');
await build({
  entryPoints: [path.join(root, 'bench', 'issuance-server.ts')],
  outfile: serverBundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['@kubernetes/client-node'],
  logLevel: 'warning',
});

// Beside the server bundle, as dist/keystore-worker.js is beside dist/kafka-warden.js.
await build({
  entryPoints: [path.join(root, 'src', 'tls', 'keystore-worker.ts')],
  outfile: path.join(tmp, 'keystore-worker.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
});

const render = readFileSync(
  path.join(shared, 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
  'utf8',
)
  .split(/^---$/m)
  .map((text) => load(text))
  .filter(Boolean);
const sts = render.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'my-cp-cp-kafka');
const updated = structuredClone(sts);
updated.metadata.annotations = { 'example.com/touched': 'yes' };
const body = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'bench',
    kind: { group: 'apps', version: 'v1', kind: 'StatefulSet' },
    namespace: 'default',
    operation: 'UPDATE',
    object: updated,
    oldObject: sts,
  },
});

const child = fork(serverBundle, [], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const next = () => new Promise((resolve) => child.once('message', resolve));
const { port } = await next();
const load_ = () =>
  autocannon({
    url: `https://127.0.0.1:${port}/validate`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections: 10,
    overallRate: rate,
    duration: seconds,
  });

await load_(); // warm-up: JIT and TLS sessions
const quiet = await load_();
child.send('issue');
const busy = await load_();
child.send('stop');
const { issued } = await next();
child.send('exit');

console.log(
  `autocannon ${rate} req/s, 10 connections, ${seconds} s per phase; node ${process.version}`,
);
console.log('| phase | p50 | p90 | p99 | max | requests | errors |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [label, r] of [
  ['POST /validate alone', quiet],
  [`POST /validate while issuing keystores (${issued} issued)`, busy],
]) {
  console.log(
    `| ${label} | ${r.latency.p50} ms | ${r.latency.p90} ms | ${r.latency.p99} ms | ${r.latency.max} ms | ${r.requests.total} | ${r.errors} |`,
  );
}
console.log(`p99 ratio: ${(busy.latency.p99 / quiet.latency.p99).toFixed(2)}x`);
