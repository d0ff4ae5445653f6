/**
 * The post-renderer as a V8 startup snapshot (docs/design.md, "Starting fast"). scripts/build.mjs
 * runs this file under `node --build-snapshot` with the example release on stdin: the render it does
 * there loads and compiles the render path, and the snapshot keeps the resulting heap. The launcher
 * bin/kafka-warden-post-renderer starts Node from that snapshot, which skips reading, deserialising
 * and running the bundle, and calls the main function below with the launcher's arguments.
 *
 * Nothing the warm-up leaves behind may change a later render: the render path keeps no state
 * between calls beyond caches of constants, and arguments, environment and stdin are read per call.
 */
import { startupSnapshot } from 'node:v8';
import { run } from './commands/render';
import { runReportingErrors } from './commands/report-error';

if (!startupSnapshot.isBuildingSnapshot()) {
  throw new Error(
    'post-renderer-snapshot is built into a startup snapshot (scripts/build.mjs), not run',
  );
}

// A failed warm-up fails the build: a snapshot must not keep a broken render path.
run([]).then(
  (code) => {
    if (code !== 0) failBuild(`the warm-up render failed with exit code ${code}`);
  },
  (error: unknown) => failBuild(`the warm-up render failed: ${String(error)}`),
);

function failBuild(message: string): void {
  process.stderr.write(`post-renderer-snapshot: ${message}\n`);
  process.exit(1);
}

startupSnapshot.setDeserializeMainFunction(() => {
  // Node puts the arguments after `--` right behind its own path when it starts from a snapshot.
  runReportingErrors('render', () => run(process.argv.slice(1))).then(
    (code) => {
      process.exitCode = code;
    },
    // runReportingErrors reports every error itself; this is for a failure while reporting.
    (error: unknown) => {
      process.stderr.write(`kafka-warden render: internal error: ${String(error)}\n`);
      process.exitCode = 70;
    },
  );
});
