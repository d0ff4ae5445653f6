// The CLI tests and the Helm tests run the real bundled executable, exactly as Helm would.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build.mjs')], {
    cwd: path.join(__dirname, '..', '..'),
    stdio: 'inherit',
  });
};
