// The cost of TLS material: RSA key generation (Node's native async call, which kafka-warden uses,
// against node-forge's pure-JavaScript generator), certificate signatures (native against forge),
// and issuing one broker's complete material (key, certificate, keystore, truststore, passwords),
// with the longest time the event loop was held while it ran. Median of BENCH_RUNS (default 15).
// Run: node bench/keystores.mjs. Results go to bench/README.md ("Keystore issuance") by hand.
import { build } from 'esbuild';
import { generateKeyPair, sign } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 15);
const tmp = path.join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });

// The library as the product ships it: bundled by esbuild, CommonJS.
const bundle = path.join(tmp, 'tls.cjs');
await build({
  entryPoints: [path.join(root, 'src', 'tls', 'index.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
});
const require = createRequire(import.meta.url);
const tls = require(bundle);
const forge = require('node-forge');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value) => value.toFixed(1);

/** Median wall time of `fn` over `n` runs; median and worst of each run's longest event-loop stall. */
async function measure(fn, n = runs) {
  const times = [];
  const gaps = [];
  for (let i = 0; i < n; i++) {
    let last = performance.now();
    let gap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      gap = Math.max(gap, now - last);
      last = now;
    }, 1);
    const start = performance.now();
    await fn();
    const end = performance.now();
    clearInterval(timer);
    times.push(end - start);
    gaps.push(Math.max(gap, end - last));
  }
  return { median: median(times), medianGap: median(gaps), worstGap: Math.max(...gaps) };
}

const nativeKey = promisify(generateKeyPair);
const rows = [];
for (const bits of [2048, 3072]) {
  const r = await measure(() => nativeKey('rsa', { modulusLength: bits, publicExponent: 0x10001 }));
  rows.push([`RSA ${bits} key, Node crypto.generateKeyPair (async, native)`, r]);
}
{
  // For contrast only: forge's generator in pure JavaScript (what runs when forge cannot reach
  // Node's crypto). Synchronous, so the whole time is an event-loop stall. Few runs: it is slow.
  forge.options.usePureJavaScript = true;
  const r = await measure(() => forge.pki.rsa.generateKeyPair({ bits: 2048 }), Math.min(runs, 5));
  forge.options.usePureJavaScript = false;
  rows.push(['RSA 2048 key, node-forge pure JavaScript (sync)', r]);
}

const { ca } = await tls.createCa({ bits: 3072 });
const leafKey = await tls.generateRsaKey(2048);
{
  const cert = forge.pki.createCertificate();
  cert.publicKey = leafKey.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 864e5);
  cert.setSubject([{ name: 'commonName', value: 'bench' }]);
  cert.setIssuer(ca.certificate.subject.attributes);
  const caForgeKey = forge.pki.privateKeyFromPem(tls.caToPem(ca).key);
  rows.push([
    'certificate signature, 3072-bit CA, node-forge (sync JS)',
    await measure(() => cert.sign(caForgeKey, forge.md.sha256.create())),
  ]);
  // What kafka-warden does instead (src/tls/keys.ts nativeSigner): OpenSSL signs the same bytes.
  const tbs = Buffer.from(forge.asn1.toDer(forge.pki.getTBSCertificate(cert)).getBytes(), 'binary');
  rows.push([
    'certificate signature, 3072-bit CA, Node crypto (native)',
    await measure(() => sign('sha256', tbs, ca.key)),
  ]);
}
const names = tls.brokerSubjectAltNames({
  cluster: 'my-cp-cp-kafka',
  headlessService: 'my-cp-cp-kafka-headless',
  namespace: 'kafka',
  replicas: 3,
});
for (const bits of [2048, 3072]) {
  rows.push([
    `broker material, ${bits}-bit key (20 SANs, 3072-bit CA): issueBrokerMaterial`,
    await measure(() =>
      tls.issueBrokerMaterial({ ca, commonName: 'my-cp-cp-kafka', subjectAltNames: names, bits }),
    ),
  ]);
}

console.log(
  `Node ${process.version}, ${runs} runs per row (forge pure JS: ${Math.min(runs, 5)})\n`,
);
console.log('| operation | median ms | event-loop stall ms, median (worst) |');
console.log('| --- | ---: | ---: |');
for (const [label, r] of rows) {
  console.log(`| ${label} | ${ms(r.median)} | ${ms(r.medianGap)} (${ms(r.worstGap)}) |`);
}
