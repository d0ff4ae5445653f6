import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/paths';

// bin/run-bundle.js is plain CommonJS shipped as is; its types are not worth a declaration file.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runBundle = require(path.join(REPO_ROOT, 'bin', 'run-bundle.js')) as {
  compileBundle: (cachedData?: Buffer) => { cachedDataRejected?: boolean };
  BUNDLE: string;
};

test('the code cache made by the build is accepted by this Node (else every Helm call compiles the bundle)', () => {
  const script = runBundle.compileBundle(readFileSync(`${runBundle.BUNDLE}.cache`));
  expect(script.cachedDataRejected).toBe(false);
});
