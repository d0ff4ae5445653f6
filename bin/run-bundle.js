'use strict';
// Loads the one-file bundle with V8's code cache (made by scripts/build.mjs after a warm-up render),
// so a post-renderer process skips parsing and compiling what it runs on every Helm command. A cache
// from another Node version is rejected by V8 and the bundle simply compiles as usual.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

// A post-renderer process lives only tens of milliseconds. With V8's default tier-up budget, the
// YAML parser's hot functions are compiled by TurboFan within that time, on a second thread that
// competes for 2 cores, and the process ends before the compiled code pays that back. A larger
// budget makes one release (what Helm passes) render faster and 100 releases somewhat slower, still
// far below kustomize's time (bench/README.md, "Post-renderer", has the figures). Only `render`
// gets it: a long-running `serve` answered fewer admission requests per second with it, and took
// longer to warm up. It is set before the bundle is compiled, and scripts/make-code-cache.js makes
// the code cache under it, so other commands compile the bundle without the cache (V8 rejects a
// cache made under other flags), which costs a server or a CI check a few milliseconds once.
const RENDER_V8_FLAGS = '--interrupt-budget=540672';

function useRenderFlags() {
  require('node:v8').setFlagsFromString(RENDER_V8_FLAGS);
}

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
  const args = [...prefix, ...process.argv.slice(2)];
  if (args[0] === 'render') useRenderFlags();
  const { main } = loadBundle(compileBundle(readCache()));
  main(args).then(
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

module.exports = { run, compileBundle, loadBundle, useRenderFlags, RENDER_V8_FLAGS, BUNDLE };
