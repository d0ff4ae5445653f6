// Where one post-renderer run's time goes, phase by phase, inside the process: a startup snapshot
// built like dist/post-renderer.blob (the same render path, render's V8 flags, a warm-up render)
// whose main function stamps the time since the process started after each phase. Node's own
// start (from the snapshot) ends at "bootstrap"; then reading stdin, the render (YAML reading,
// transformation, YAML writing), the policy check, writing stdout. Run with
// `npm run bench:render-phases` (BENCH_RUNS, default 30); medians go to bench/README.md by hand.
// NODE_EXTRA_CA_CERTS is removed, as in bench/post-renderer.mjs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const tmp = path.join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });
const runs = Number(process.env.BENCH_RUNS ?? 30);
const { RENDER_V8_FLAGS } = createRequire(import.meta.url)('../bin/run-bundle.js');
const example = path.join(root, 'examples', 'cp-helm-charts-0.6.1-default.yaml');
const script = path.join(tmp, 'render-phases.js');
const blob = path.join(tmp, 'render-phases.blob');

// The phases of src/commands/run-post-renderer.ts, called one by one with the defaults.
await build({
  stdin: {
    resolveDir: root,
    sourcefile: 'render-phases-main.ts',
    loader: 'ts',
    contents: `
      import { startupSnapshot } from 'node:v8';
      import { resolveConfig } from './src/core/config';
      import { renderRelease } from './src/postrender/render';
      import { readAllInput, writeAllOutput } from './src/postrender/whole-stdio';
      import { evaluateRelease } from './src/policy/evaluate-release';

      async function run(report: boolean) {
        const stamps: [string, number][] = [['bootstrap', performance.nodeTiming.bootstrapComplete]];
        const config = resolveConfig();
        const input = await readAllInput();
        stamps.push(['read', performance.now()]);
        const result = renderRelease(input, config);
        stamps.push(['render', performance.now()]);
        await evaluateRelease({ objects: result.objects, detection: config.detection, namespace: 'default' });
        stamps.push(['policy', performance.now()]);
        await writeAllOutput(result.output);
        stamps.push(['write', performance.now()]);
        if (report) process.on('exit', () => {
          stamps.push(['exit', performance.now()]);
          process.stderr.write(JSON.stringify(stamps) + '\\n');
        });
      }
      void run(false);
      startupSnapshot.setDeserializeMainFunction(() => void run(true));
    `,
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  outfile: script,
  logLevel: 'warning',
});

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const flags = RENDER_V8_FLAGS.split(' ');
const built = spawnSync(
  process.execPath,
  [...flags, '--snapshot-blob', blob, '--build-snapshot', script],
  { stdio: [openSync(example, 'r'), 'ignore', 'inherit'], env },
);
if (built.status !== 0) throw new Error('building the phase snapshot failed');

const samples = new Map();
for (let i = 0; i < runs; i++) {
  const result = spawnSync(process.execPath, [...flags, '--snapshot-blob', blob], {
    stdio: [openSync(example, 'r'), 'ignore', 'pipe'],
    env,
  });
  if (result.status !== 0) throw new Error(`run failed: ${result.stderr}`);
  const stamps = JSON.parse(result.stderr.toString().trim().split('\n').pop());
  let previous = 0;
  for (const [phase, at] of stamps) {
    samples.set(phase, [...(samples.get(phase) ?? []), at - previous]);
    previous = at;
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`median of ${runs} runs, ms since the previous phase (bootstrap: since process start)`);
for (const [phase, values] of samples)
  console.log(`${phase.padEnd(10)} ${median(values).toFixed(1)}`);
