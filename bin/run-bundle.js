'use strict';
// Loads the one-file bundle with V8's code cache (made by scripts/build.mjs after a warm-up render),
// so a post-renderer process skips parsing and compiling what it runs on every Helm command. A cache
// from another Node version is rejected by V8 and the bundle simply compiles as usual.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

// A post-renderer process lives about 60 ms. With V8's default tier-up budget, the YAML parser's
// hot functions are compiled by TurboFan within that time, on a second thread that competes for
// 2 cores, and the process ends before the compiled code pays that back. Eight times the budget
// makes one release (what Helm passes) render ~15% faster and 100 releases ~15% slower, still a
// twentieth of kustomize's time (bench/README.md); a long-running `serve` reaches the budget
// within its first requests anyway. Set here, before the bundle is compiled, so
// scripts/make-code-cache.js (which compiles through this file) makes the cache under the same
// flags: V8 rejects a code cache made under other flags.
require('node:v8').setFlagsFromString('--interrupt-budget=540672');

const BUNDLE = path.join(__dirname, '..', 'dist', 'kafka-warden.js');
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];

function compileBundle(cachedData) {
  const source = fs.readFileSync(BUNDLE, 'utf8');
  return new vm.Script(WRAPPER[0] + source + WRAPPER[1], { filename: BUNDLE, cachedData });
}

function loadBundle(script) {
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, BUNDLE, path.dirname(BUNDLE));
  return module.exports;
}

function readCache() {
  try {
    return fs.readFileSync(`${BUNDLE}.cache`);
  } catch {
    return undefined;
  }
}

function run(prefix) {
  const { main } = loadBundle(compileBundle(readCache()));
  main([...prefix, ...process.argv.slice(2)]).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(
        `kafka-warden: internal error: ${error && error.stack ? error.stack : error}\n`,
      );
      process.exitCode = 70;
    },
  );
}

module.exports = { run, compileBundle, loadBundle, BUNDLE };
