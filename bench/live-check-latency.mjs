// The time kafka-warden's live Kafka checks add to a POST /validate answer (see
// bench/live-check-latency.ts): a Kafka 2.7.2 cluster from the e2e harness, serve from the built
// bundle without and with --kafka-tls-dir. Needs scripts/install-kafka.sh and the built bundle.
// Run: npm run bench:live-checks (BENCH_REQUESTS, BENCH_WARMUP, BENCH_CONCURRENCY, BENCH_TOPICS,
// BENCH_PARTITIONS; defaults 2000, 200, 4, 20, 6; BENCH_PATTERNS=0 skips the kafkajs-alone table,
// BENCH_VERBOSE=1 lists every request over 100 ms). Results: bench/README.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const tmp = path.join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });
const outfile = path.join(tmp, 'live-check-latency.cjs');
// The test support code finds the repository from __dirname: bench/.tmp/../.. is the root, as
// test/support/../.. is (so no `define`: src/tls looks for its keystore worker there too, and
// encodes inline when there is none).
await build({
  entryPoints: [path.join(root, 'bench', 'live-check-latency.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['@kubernetes/client-node'],
  logLevel: 'warning',
});
const { status, signal } = spawnSync(process.execPath, [outfile], { stdio: 'inherit' });
process.exit(status ?? (signal ? 1 : 0));
