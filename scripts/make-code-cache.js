'use strict';
// Compiles the bundle exactly as bin/run-bundle.js does, renders the example release once so V8
// compiles the functions a real render runs, then saves the code cache next to the bundle.
const fs = require('node:fs');
const path = require('node:path');
const { Readable } = require('node:stream');
const { compileBundle, loadBundle, BUNDLE } = require('../bin/run-bundle.js');

const script = compileBundle(undefined);
const { main } = loadBundle(script);
const example = path.join(__dirname, '..', 'examples', 'cp-helm-charts-0.6.1-default.yaml');
Object.defineProperty(process, 'stdin', { value: Readable.from([fs.readFileSync(example)]) });
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (_chunk, callback) => {
  if (typeof callback === 'function') callback();
  return true;
};
main(['render']).then((code) => {
  process.stdout.write = write;
  if (code !== 0) throw new Error(`warm-up render failed with ${code}`);
  fs.writeFileSync(`${BUNDLE}.cache`, script.createCachedData());
});
