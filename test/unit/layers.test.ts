/**
 * The tree shows the architecture only if imports run down it. Each folder of src/ has a place in
 * LAYERS (lowest first); a module may import from its own folder or from a folder below it, never
 * from one above. The entry points beside cli.ts sit above every folder. A new folder must be given
 * a place here, so its position is a decision someone wrote down.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '../../src');

/** Lowest first; README.md "Where things are" describes each. */
const LAYERS = [
  'core', // pure: detection, injection, listeners, limits; no I/O
  'async', // deadlines and cancellation, for every layer that waits
  'manifests', // the YAML 1.1 codec and document splitting
  'tls', // certificates and keystores
  'policy', // the policy engine and its rules
  'config', // reading configuration and policy files
  'kafka', // live Kafka reads for policy
  'admission', // AdmissionReview <-> core and policy
  'kube', // the only importer of @kubernetes/client-node; the Secret issuer
  'server', // HTTP
  'postrender', // stdin -> core -> stdout
  'commands', // one file per CLI command
] as const;
const ENTRY = LAYERS.length;

function layerOf(file: string): number {
  const relative = path.relative(SRC, file);
  const folder = relative.includes(path.sep) ? relative.split(path.sep)[0]! : null;
  if (folder === null) return ENTRY;
  const rank = (LAYERS as readonly string[]).indexOf(folder);
  if (rank < 0) throw new Error(`src/${folder}/ has no place in LAYERS (test/unit/layers.test.ts)`);
  return rank;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The module files imported by relative path; a folder import means its index.ts. */
function relativeImports(file: string, text: string): string[] {
  return [...text.matchAll(IMPORT)].map((match) => {
    const target = path.resolve(path.dirname(file), match[1]!);
    const isFolder = existsSync(target) && statSync(target).isDirectory();
    return isFolder ? path.join(target, 'index.ts') : `${target}.ts`;
  });
}

function upwardImports(file: string, text: string): string[] {
  const own = layerOf(file);
  return relativeImports(file, text)
    .filter((target) => layerOf(target) > own)
    .map(
      (target) =>
        `${path.relative(SRC, file)} (${folderName(own)}) imports ` +
        `${path.relative(SRC, target)} (${folderName(layerOf(target))})`,
    );
}

function folderName(rank: number): string {
  return rank === ENTRY ? 'src/ (entry points)' : `src/${LAYERS[rank]}/`;
}

describe('the layers of src/', () => {
  const files = sourceFiles(SRC);

  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('has no import that runs up the layers', () => {
    const upward = files.flatMap((file) => upwardImports(file, readFileSync(file, 'utf8')));
    expect(upward).toEqual([]);
  });

  it('keeps @kubernetes/client-node inside src/kube/', () => {
    const outside = files.filter(
      (file) =>
        layerOf(file) !== LAYERS.indexOf('kube') &&
        /from\s+['"]@kubernetes\/client-node['"]/.test(readFileSync(file, 'utf8')),
    );
    expect(outside.map((file) => path.relative(SRC, file))).toEqual([]);
  });

  it('catches an upward import, static or dynamic, and allows a downward one', () => {
    const core = path.join(SRC, 'core/example.ts');
    expect(upwardImports(core, "import { createApp } from '../server/app';")).toEqual([
      'core/example.ts (src/core/) imports server/app.ts (src/server/)',
    ]);
    expect(upwardImports(core, "const m = await import('../postrender/render');")).toHaveLength(1);
    expect(upwardImports(path.join(SRC, 'server/x.ts'), "import '../core/detect';")).toEqual([]);
    expect(upwardImports(path.join(SRC, 'cli.ts'), "import './commands/render';")).toEqual([]);
  });

  it('asks for a place for a new folder', () => {
    expect(() => layerOf(path.join(SRC, 'misc/thing.ts'))).toThrow(/src\/misc\/ has no place/);
  });
});
