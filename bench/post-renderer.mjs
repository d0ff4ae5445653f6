// Wall time and peak RSS of post-renderer processes on the same stdin: kafka-warden versus a
// kustomize post-renderer making the same changes (bench/kustomize: patches generated from
// kafka-warden's render, checked by test/e2e/helm/bench-kustomize.helm.test.ts), at 1 release
// (cp-helm-charts 0.6.1 default render, 25 documents) and at 100 releases concatenated; plus
// `helm template` with each post-renderer for context. The commands compared take turns, run by
// run, so the machine's drift falls on all of them alike. Run with `npm run bench:post-renderer`
// (BENCH_RUNS, BENCH_RUNS_100); results go to bench/README.md by hand, next to this command.
// NODE_EXTRA_CA_CERTS is removed from the environment: it adds about
// 0.08 s to every Node start on this machine and is not part of the product.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const shared = process.env.KAFKA_WARDEN_SHARED ?? path.resolve(root, '..', 'shared');
const tools = process.env.KW_TOOLS_DIR ?? path.join(homedir(), '.cache', 'kafka-warden', 'tools');
const kustomize = path.join(tools, 'bin', 'kustomize');
const helm3 = path.join(tools, 'bin', 'helm3');
// Runs per command: one release is fast and noisy, a hundred take kustomize ~12 s a run.
const runsOne = Number(process.env.BENCH_RUNS ?? 40);
const runsHundred = Number(process.env.BENCH_RUNS_100 ?? 5);
for (const binary of [kustomize, helm3, '/usr/bin/time']) {
  if (!existsSync(binary))
    throw new Error(`${binary} missing: run scripts/install-tools.sh (and apt-get install time)`);
}

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
env.KUSTOMIZE = kustomize;

const tmp = path.join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });
const one = path.join(shared, 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml');
const hundred = path.join(tmp, '100-releases.yaml');
const base = readFileSync(one, 'utf8');
writeFileSync(
  hundred,
  Array.from({ length: 100 }, (_, i) => base.replaceAll('my-cp', `rel${i + 1}`)).join(''),
);

/** One run of `command` with stdin from `input`: wall seconds and peak RSS in MB. */
function runOnce(command, args, input) {
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], {
    input,
    env,
    maxBuffer: 256 * 1024 * 1024,
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const lines = result.stderr.toString().trim().split('\n');
  return { wall, rss: Number(lines[lines.length - 1]) / 1024 };
}

/**
 * Runs each [command, args] `runs` times, taking turns, with stdin from `input`; returns per
 * command the median and p90 wall seconds and the largest peak RSS in MB.
 */
function measure(commands, input, runs) {
  const data = input ? readFileSync(input) : undefined;
  const samples = commands.map(() => ({ walls: [], rss: 0 }));
  for (let i = 0; i < runs; i++) {
    commands.forEach(([command, args], c) => {
      const { wall, rss } = runOnce(command, args, data);
      samples[c].walls.push(wall);
      samples[c].rss = Math.max(samples[c].rss, rss);
    });
  }
  return samples.map(({ walls, rss }) => {
    walls.sort((a, b) => a - b);
    return { median: walls[Math.floor(runs / 2)], p90: walls[Math.floor(runs * 0.9)], rss };
  });
}

// What Helm 3 runs (the launcher, which starts Node from the render snapshot), and for context
// `kafka-warden render`, which loads the bundle with its code cache (the launcher's fallback).
const postRenderer = path.join(root, 'bin', 'kafka-warden-post-renderer');
const fromBundle = [path.join(root, 'bin', 'kafka-warden'), 'render'];
const kust = path.join(root, 'bench', 'kustomize', 'post-renderer.sh');
const rows = [];
for (const [label, input, runs] of [
  ['1 release (25 docs)', one, runsOne],
  ['100 releases (2,500 docs)', hundred, runsHundred],
]) {
  const [w, b, k] = measure(
    [
      [postRenderer, []],
      [process.execPath, fromBundle],
      [kust, []],
    ],
    input,
    runs,
  );
  rows.push([label, w, b, k]);
}
const chart = path.join(shared, 'charts', 'cp-helm-charts-0.6.1.tgz');
const helmCommands = [
  ['helm template, no post-renderer', []],
  ['helm template + kafka-warden', ['--post-renderer', postRenderer]],
  ['helm template + kustomize', ['--post-renderer', kust]],
];
const helmStats = measure(
  helmCommands.map(([, extra]) => [helm3, ['template', 'my-cp', chart, ...extra]]),
  undefined,
  runsOne,
);
const helmRows = helmCommands.map(([label], i) => [label, helmStats[i]]);

const f = (s) => `${s.toFixed(3)} s`;
console.log(
  `runs per command: ${runsOne} (1 release, helm), ${runsHundred} (100 releases); node ${process.version}; NODE_EXTRA_CA_CERTS unset`,
);
console.log(
  '| input | kafka-warden post-renderer median (p90) | kustomize median (p90) | ratio | kafka-warden render, bundle (p90) | kafka-warden peak RSS | kustomize peak RSS |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [label, w, b, k] of rows) {
  console.log(
    `| ${label} | ${f(w.median)} (${f(w.p90)}) | ${f(k.median)} (${f(k.p90)}) | ${(w.median / k.median).toFixed(2)}x | ${f(b.median)} (${f(b.p90)}) | ${w.rss.toFixed(0)} MB | ${k.rss.toFixed(0)} MB |`,
  );
}
console.log('\n| whole command (Helm 3, 0.6.1 default) | median (p90) | peak RSS |');
console.log('| --- | --- | --- |');
for (const [label, m] of helmRows)
  console.log(`| ${label} | ${f(m.median)} (${f(m.p90)}) | ${m.rss.toFixed(0)} MB |`);
