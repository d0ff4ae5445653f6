// Bundles the CLI into one CommonJS file. One file, no module resolution at start-up: the
// post-renderer's wall time is dominated by Node's start and module loading (see bench/README.md).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Every output is one minified CommonJS file for the Node version the project supports. */
const nodeBundle = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  logLevel: 'warning',
};

await build({
  ...nodeBundle,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/kafka-warden.js',
  sourcemap: 'linked',
  legalComments: 'linked',
  define: { KAFKA_WARDEN_VERSION: JSON.stringify(version) },
  // Loaded from node_modules by the commands that talk to a cluster, never by the post-renderer,
  // which should not read them at every start: @kubernetes/client-node (ESM-only and large; `serve`,
  // src/kube) and kafkajs (`serve --kafka-tls-dir` and `plan`, src/kafka).
  external: ['@kubernetes/client-node', 'kafkajs'],
});

// Keystore encoding runs on a worker thread in the server (src/tls/encode-keystore-off-thread.ts).
await build({
  ...nodeBundle,
  entryPoints: ['src/tls/keystore-worker.ts'],
  outfile: 'dist/keystore-worker.js',
});

// The post-renderer's startup snapshot (src/post-renderer-snapshot.ts): `render` alone, built
// into a heap that bin/kafka-warden-post-renderer starts Node from.
await build({
  ...nodeBundle,
  entryPoints: ['src/post-renderer-snapshot.ts'],
  outfile: 'dist/post-renderer-snapshot.js',
});

/**
 * Runs a warm-up render: the example release on stdin, stdout to nowhere, as Helm's would, and
 * none of the builder's own render settings (a configuration, a policy) in the environment.
 */
function warmUp(args) {
  const example = openSync(
    fileURLToPath(new URL('../examples/cp-helm-charts-0.6.1-default.yaml', import.meta.url)),
    'r',
  );
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('KAFKA_WARDEN_') || name.startsWith('HELM_')) delete env[name];
  }
  try {
    execFileSync(process.execPath, args, { stdio: [example, 'ignore', 'inherit'], env });
  } finally {
    closeSync(example);
  }
}

warmUp([fileURLToPath(new URL('make-code-cache.js', import.meta.url))]);

// V8 refuses a snapshot started under other flags than it was built with, so the launcher must
// start Node with the flags render runs with everywhere (bin/run-bundle.js), and the snapshot is
// built under them.
const { RENDER_V8_FLAGS } = createRequire(import.meta.url)('../bin/run-bundle.js');
const launcher = readFileSync(
  new URL('../bin/kafka-warden-post-renderer', import.meta.url),
  'utf8',
);
const snapshotFlags = /^SNAPSHOT_NODE_FLAGS='([^']*)'$/m.exec(launcher)?.[1];
if (snapshotFlags !== RENDER_V8_FLAGS) {
  throw new Error(
    `bin/kafka-warden-post-renderer: SNAPSHOT_NODE_FLAGS must be '${RENDER_V8_FLAGS}' (RENDER_V8_FLAGS of bin/run-bundle.js), not ${snapshotFlags === undefined ? 'missing' : `'${snapshotFlags}'`}`,
  );
}
// Removed first, so a failed build leaves no snapshot of older code; written aside and renamed
// into place, because a truncated snapshot makes Node abort instead of refusing it.
const blob = fileURLToPath(new URL('../dist/post-renderer.blob', import.meta.url));
rmSync(blob, { force: true });
warmUp([
  ...RENDER_V8_FLAGS.split(' '),
  '--snapshot-blob',
  `${blob}.partial`,
  '--build-snapshot',
  fileURLToPath(new URL('../dist/post-renderer-snapshot.js', import.meta.url)),
]);
renameSync(`${blob}.partial`, blob);

// The Helm 4 plugin directory: self-contained (launcher, snapshot, and the bundle with its code
// cache for the launcher's fallback), so `helm plugin install` may copy or link it.
const plugin = new URL('../dist/helm-plugin/', import.meta.url);
for (const dir of ['bin', 'dist']) mkdirSync(new URL(dir, plugin), { recursive: true });
writeFileSync(
  new URL('plugin.yaml', plugin),
  readFileSync(new URL('../helm-plugin/plugin.yaml', import.meta.url), 'utf8').replace(
    /^version: .*$/m,
    `version: ${version}`,
  ),
);
for (const file of [
  'helm-plugin/post-renderer',
  'bin/run-bundle.js',
  'bin/kafka-warden',
  'bin/kafka-warden-post-renderer',
  'dist/kafka-warden.js',
  'dist/kafka-warden.js.cache',
  'dist/post-renderer.blob',
]) {
  // Copied aside and renamed into place, as the snapshot above.
  const target = fileURLToPath(new URL(file.replace(/^helm-plugin\//, ''), plugin));
  copyFileSync(new URL(`../${file}`, import.meta.url), `${target}.partial`);
  renameSync(`${target}.partial`, target);
}
chmodSync(new URL('post-renderer', plugin), 0o755);
chmodSync(new URL('bin/kafka-warden-post-renderer', plugin), 0o755);
chmodSync(new URL('bin/kafka-warden', plugin), 0o755);
