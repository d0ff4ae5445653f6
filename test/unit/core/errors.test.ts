import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '../../../src/core/errors';
import { REPO_ROOT } from '../../support/paths';

test('every error code is documented in docs/errors.md', () => {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
  const missing = Object.keys(ERROR_CODES).filter((code) => !doc.includes(`\`${code}\``));
  expect(missing).toEqual([]);
});
