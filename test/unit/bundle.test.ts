import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../support/paths';

/**
 * Whether V8 accepts the build's code cache in a fresh Node, with or without the flags
 * bin/run-bundle.js sets for `render` (V8 flags are process-wide, hence a child process).
 */
function cacheRejected(withRenderFlags: boolean): boolean {
  const runBundle = JSON.stringify(path.join(REPO_ROOT, 'bin', 'run-bundle.js'));
  const script = `
    const runBundle = require(${runBundle});
    if (${withRenderFlags}) runBundle.useRenderFlags();
    const cache = require('node:fs').readFileSync(runBundle.BUNDLE + '.cache');
    process.stdout.write(String(runBundle.compileBundle(cache).cachedDataRejected));
  `;
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }) === 'true';
}

test('the code cache made by the build is accepted for render (else every Helm call compiles the bundle)', () => {
  expect(cacheRejected(true)).toBe(false);
});
