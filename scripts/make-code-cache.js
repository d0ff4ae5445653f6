'use strict';
// Compiles the bundle exactly as bin/run-bundle.js does, renders the release on stdin once (build.mjs
// gives it the example release, and stdout goes nowhere) so V8 compiles the functions a real render
// runs, then saves the code cache next to the bundle.
const fs = require('node:fs');
const { compileBundle, loadBundle, useRenderFlags, BUNDLE } = require('../bin/run-bundle.js');

// The cache is for the post-renderer, and V8 accepts it only under the flags it was made with.
useRenderFlags();
const script = compileBundle(undefined);
const { main } = loadBundle(script);
main(['render']).then((code) => {
  if (code !== 0) throw new Error(`warm-up render failed with ${code}`);
  fs.writeFileSync(`${BUNDLE}.cache`, script.createCachedData());
});
