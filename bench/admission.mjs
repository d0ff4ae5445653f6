// Admission throughput and latency: autocannon over HTTPS keep-alive at 20 connections against a
// bare https echo server (the ceiling), kafka-warden's POST /mutate with cp-kafka broker Pods, and
// POST /validate with a broker StatefulSet UPDATE. Beside them, floors (bench/floor-server.mjs):
// the echo plus what serve must do per request besides deciding (its log line, its metrics, and
// for /mutate an answer carrying kafka-warden's patch for the same body), which no decision can
// beat; each kafka-warden row reports its share of the ceiling and of its floor. Every target runs
// once per round, each right after its ceiling (and floor), and the rounds repeat: the machine's
// drift (the ceiling alone moved by 40% between runs) falls on target and ceiling alike, and each
// share is the median of its rounds.
// Servers run as child processes, autocannon in this one. Run: `npm run bench:admission`
// (BENCH_SECONDS=N per target and round, default 5; BENCH_ROUNDS=N, default 3). Results are
// recorded by hand in bench/README.md next to this command.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { load } from 'js-yaml';

const root = path.resolve(import.meta.dirname, '..');
const shared = process.env.KAFKA_WARDEN_SHARED ?? path.resolve(root, '..', 'shared');
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
// The benchmark measures throughput, not certificate checks (the tests verify the CA).
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

const render = readFileSync(
  path.join(shared, 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
  'utf8',
)
  .split(/^---$/m)
  .map((text) => load(text))
  .filter(Boolean);
const sts = render.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'my-cp-cp-kafka');
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    ...sts.spec.template.metadata,
    name: 'my-cp-cp-kafka-0',
    namespace: 'default',
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'my-cp-cp-kafka', uid: 'u' },
    ],
  },
  spec: {
    ...sts.spec.template.spec,
    hostname: 'my-cp-cp-kafka-0',
    subdomain: sts.spec.serviceName,
  },
};
const updated = structuredClone(sts);
updated.metadata.annotations = { 'example.com/touched': 'yes' };
const review = (kind, operation, object, oldObject) =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'bench',
      kind: { group: kind === 'Pod' ? '' : 'apps', version: 'v1', kind },
      namespace: 'default',
      operation,
      object,
      oldObject: oldObject ?? null,
    },
  });

function start(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [command, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const port = /"port":(\d+)[^\n]*"msg":"listening"/.exec(out)?.[1];
      if (port) {
        // Stop collecting: the server logs every request, and a growing string here would steal
        // CPU from autocannon in this process.
        child.stdout.removeListener('data', onData);
        child.stderr.removeListener('data', onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve({ child, port: Number(port), out: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command} exited ${code}: ${out}`)));
  });
}

/**
 * [certificate file, key file] for the bare and floor servers: a throw-away pair of their own
 * (test/support/serving-files.ts, built here), since serve keeps its self-signed key in memory.
 * Removed when this process exits.
 */
async function servingPairFiles() {
  const bundle = path.join(tmp, 'serving-files.cjs');
  await build({
    entryPoints: [path.join(root, 'test', 'support', 'serving-files.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  const { writeSelfSigned } = createRequire(import.meta.url)(bundle);
  const files = await writeSelfSigned(['localhost', '127.0.0.1']);
  process.once('exit', () => rmSync(files.dir, { recursive: true, force: true }));
  return [files.certFile, files.keyFile];
}

function cannon(url, body) {
  return autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections: 20,
    duration: seconds,
  });
}

/**
 * The pods of one StatefulSet as the API server sends them: each with its own name, ordinal
 * labels and hostname, and the token volume ServiceAccount admission added under a random name
 * (kube-api-access-<random>), mounted into every container. 1,024 of them, sent in turn, so the
 * load generator does not serialise a pod per request.
 */
function podsOfOneStatefulSet(count = 1024) {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: count }, (_, i) => {
    const name = `my-cp-cp-kafka-${i}`;
    const token = `kube-api-access-${Array.from({ length: 5 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('')}`;
    const mount = {
      name: token,
      readOnly: true,
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
    };
    return review('Pod', 'CREATE', {
      ...pod,
      metadata: {
        ...pod.metadata,
        name,
        labels: {
          ...pod.metadata.labels,
          'statefulset.kubernetes.io/pod-name': name,
          'apps.kubernetes.io/pod-index': String(i),
        },
      },
      spec: {
        ...pod.spec,
        hostname: name,
        volumes: [
          ...(pod.spec.volumes ?? []),
          {
            name: token,
            projected: {
              defaultMode: 420,
              sources: [
                { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
                {
                  configMap: {
                    name: 'kube-root-ca.crt',
                    items: [{ key: 'ca.crt', path: 'ca.crt' }],
                  },
                },
              ],
            },
          },
        ],
        containers: pod.spec.containers.map((c) => ({
          ...c,
          volumeMounts: [...(c.volumeMounts ?? []), mount],
        })),
      },
    });
  });
}

/** autocannon sending `bodyFor(n)` as the n-th request's body. */
function cannonEach(url, bodyFor) {
  let n = 0;
  return autocannon({
    url,
    connections: 20,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: bodyFor(n++) }),
      },
    ],
  });
}

const cannonBodies = (url, bodies) => cannonEach(url, (n) => bodies[n % bodies.length]);

/** Every request a different pod (a unique annotation), so the mutation cache never hits. */
const cannonDistinctPods = (url) =>
  cannonEach(url, (n) => {
    const annotations = { ...pod.metadata.annotations, 'bench/n': String(n) };
    return review('Pod', 'CREATE', { ...pod, metadata: { ...pod.metadata, annotations } });
  });

const warden = await start(path.join(root, 'bin', 'kafka-warden'), [
  'serve',
  '--host',
  '127.0.0.1',
  '--port',
  '0',
  '--no-kube',
  '--shutdown-delay',
  '0',
]);
const tmp = path.join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });
const serverCertificate = await servingPairFiles();
const bare = await start(path.join(root, 'bench', 'bare-echo-server.mjs'), serverCertificate);

const podReview = review('Pod', 'CREATE', pod);

/** kafka-warden's answer to one review, parsed. */
function ask(port, pathname, body) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: pathname, method: 'POST', rejectUnauthorized: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
      },
    );
    req.on('error', reject);
    req.setHeader('content-type', 'application/json');
    req.end(body);
  });
}

// The floors (bench/floor-server.mjs): the echo plus serve's log line and metrics, and for /mutate
// the very patch kafka-warden answers the benchmark's pod with.
const patchFile = path.join(tmp, 'floor-patch.b64');
writeFileSync(patchFile, (await ask(warden.port, '/mutate', podReview)).response.patch);
const mutateFloor = await start(path.join(root, 'bench', 'floor-server.mjs'), [
  ...serverCertificate,
  patchFile,
]);
const validateFloor = await start(path.join(root, 'bench', 'floor-server.mjs'), serverCertificate);

const statefulSetPods = podsOfOneStatefulSet();
// The floor for the pods of one StatefulSet answers with kafka-warden's patch for the first of them
// (its token volume's name included): the answer as large as each of theirs.
const statefulSetPatchFile = path.join(tmp, 'floor-patch-statefulset.b64');
writeFileSync(
  statefulSetPatchFile,
  (await ask(warden.port, '/mutate', statefulSetPods[0])).response.patch,
);
const statefulSetFloor = await start(path.join(root, 'bench', 'floor-server.mjs'), [
  ...serverCertificate,
  statefulSetPatchFile,
]);
const stsReview = review('StatefulSet', 'UPDATE', updated, sts);
// The ceiling is measured with the very body each kafka-warden endpoint gets: JSON parsing of the
// 3 KB Pod review or the 6.4 KB StatefulSet UPDATE review is part of both.
// [label, run, index of its ceiling (null: it is one), index of its floor (null: none)]
const targets = [
  [
    'bare https echo, Pod review body (ceiling)',
    () => cannon(`https://127.0.0.1:${bare.port}/`, podReview),
    null,
    null,
  ],
  [
    'floor: echo + log line + metrics + the same patch, no decision',
    () => cannon(`https://127.0.0.1:${mutateFloor.port}/`, podReview),
    0,
    null,
  ],
  [
    'POST /mutate, the same pod every time (cache hits)',
    () => cannon(`https://127.0.0.1:${warden.port}/mutate`, podReview),
    0,
    1,
  ],
  [
    'POST /mutate, every pod different (cache misses)',
    () => cannonDistinctPods(`https://127.0.0.1:${warden.port}/mutate`),
    0,
    1,
  ],
  [
    'bare https echo, bodies of the next row (ceiling)',
    () => cannonBodies(`https://127.0.0.1:${bare.port}/`, statefulSetPods),
    null,
    null,
  ],
  [
    'floor: echo + log line + metrics + the same patch, bodies of the next row',
    () => cannonBodies(`https://127.0.0.1:${statefulSetFloor.port}/`, statefulSetPods),
    4,
    null,
  ],
  [
    'POST /mutate, pods of one StatefulSet, each with its own name and token volume (cache hits)',
    () => cannonBodies(`https://127.0.0.1:${warden.port}/mutate`, statefulSetPods),
    4,
    5,
  ],
  [
    'bare https echo, StatefulSet UPDATE body (ceiling)',
    () => cannon(`https://127.0.0.1:${bare.port}/`, stsReview),
    null,
    null,
  ],
  [
    'floor: echo + log line + metrics, no decision',
    () => cannon(`https://127.0.0.1:${validateFloor.port}/`, stsReview),
    7,
    null,
  ],
  [
    'POST /validate, broker StatefulSet UPDATE',
    () => cannon(`https://127.0.0.1:${warden.port}/validate`, stsReview),
    7,
    8,
  ],
];
/** results[target][round]: autocannon's result. */
const results = targets.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (const [i, [, run]] of targets.entries()) results[i].push(await run());
}
for (const server of [bare, warden, mutateFloor, statefulSetFloor, validateFloor])
  server.child.kill('SIGTERM');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `autocannon, 20 connections, keep-alive, ${seconds} s per target and round, ${rounds} rounds; node ${process.version}; NODE_EXTRA_CA_CERTS unset`,
);
console.log(
  `patch bytes (base64) of the floors' answers: ${readFileSync(patchFile, 'utf8').trim().length} (the same pod), ${readFileSync(statefulSetPatchFile, 'utf8').trim().length} (a StatefulSet's pod)`,
);
console.log(
  '| target | req/s (median of rounds) | share of its ceiling (median of rounds) | share of its floor (median of rounds) | p50 latency | p99 latency (worst round) | errors / non-2xx |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
/** The median over rounds of this target's req/s over another's in the same round. */
const shareOf = (runs, otherIndex) =>
  otherIndex === null
    ? '—'
    : `${(median(runs.map((r, round) => r.requests.average / results[otherIndex][round].requests.average)) * 100).toFixed(0)}%`;
for (const [i, [label, , ceilingIndex, floorIndex]] of targets.entries()) {
  const runs = results[i];
  const ceilingShare = ceilingIndex === null ? '100%' : shareOf(runs, ceilingIndex);
  console.log(
    `| ${label} | ${median(runs.map((r) => r.requests.average)).toFixed(0)} | ${ceilingShare} | ${shareOf(runs, floorIndex)} | ${median(runs.map((r) => r.latency.p50))} ms | ${Math.max(...runs.map((r) => r.latency.p99))} ms | ${runs.reduce((n, r) => n + r.errors, 0)} / ${runs.reduce((n, r) => n + r.non2xx, 0)} |`,
  );
}
