// Bundles the CLI into one CommonJS file. One file, no module resolution at start-up: the
// post-renderer's wall time is dominated by Node's start and module loading (see bench/README.md).
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/kafka-warden.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  define: { KAFKA_WARDEN_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});

// The Helm 4 plugin directory: self-contained, so `helm plugin install` may copy or link it.
const plugin = new URL('../dist/helm-plugin/', import.meta.url);
mkdirSync(plugin, { recursive: true });
writeFileSync(
  new URL('plugin.yaml', plugin),
  readFileSync(new URL('../helm-plugin/plugin.yaml', import.meta.url), 'utf8').replace(
    /^version: .*$/m,
    `version: ${version}`,
  ),
);
copyFileSync(
  new URL('../helm-plugin/post-renderer', import.meta.url),
  new URL('post-renderer', plugin),
);
chmodSync(new URL('post-renderer', plugin), 0o755);
// The bundle ends with a `require` of the CLI's main; the plugin launcher calls it through render.
writeFileSync(
  new URL('kafka-warden.js', plugin),
  `${readFileSync(new URL('../dist/kafka-warden.js', import.meta.url), 'utf8')}\n;if (require.main === module) { module.exports.main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(String(e && e.stack || e) + '\\n'); process.exitCode = 70; }); }\n`,
);
