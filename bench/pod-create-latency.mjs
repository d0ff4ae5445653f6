// Pod CREATE latency through a real API server: ordinary and Kafka pods, without and with the
// webhook configurations kafka-warden's chart installs (see bench/pod-create-latency.ts). Needs
// scripts/install-control-plane.sh and the built bundle.
// Run: npm run bench:pod-create (BENCH_PODS_PER_CREATOR=N, default 5). Results: bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const tmp = path.join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });
const outfile = path.join(tmp, 'pod-create-latency.cjs');
await build({
  entryPoints: [path.join(root, 'bench', 'pod-create-latency.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['@kubernetes/client-node'],
  logLevel: 'warning',
  // The test support code finds the repository from its own location (test/support).
  define: { __dirname: JSON.stringify(path.join(root, 'test', 'support')) },
});
execFileSync(process.execPath, [outfile], { stdio: 'inherit' });
