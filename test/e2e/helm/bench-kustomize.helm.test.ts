/**
 * The benchmark's kustomize post-renderer (bench/kustomize) must make kafka-warden's changes, or the
 * comparison in bench/post-renderer.mjs measures kustomize doing less. Its patches are generated
 * from kafka-warden's render (bench/kustomize/generate.mjs); this fails when they drift from it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { REPO_ROOT, sharedDir } from '../../support/paths';

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
}

function kustomizeBinary(): string {
  const dir = process.env.KW_TOOLS_DIR ?? path.join(homedir(), '.cache', 'kafka-warden', 'tools');
  const binary = path.join(dir, 'bin', 'kustomize');
  if (!existsSync(binary)) throw new Error(`${binary} not found: run scripts/install-tools.sh`);
  return binary;
}

function objects(text: string): Map<string, K8sObject> {
  const all = text
    .split(/^---\s*$/m)
    .map((doc) => load(doc) as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
  return new Map(all.map((o) => [`${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
}

const input = readFileSync(
  path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
  'utf8',
);

function kustomizePostRender(text: string): string {
  return execFileSync(path.join(REPO_ROOT, 'bench', 'kustomize', 'post-renderer.sh'), {
    input: text,
    env: { ...process.env, KUSTOMIZE: kustomizeBinary() },
    encoding: 'utf8',
  });
}

describe("the benchmark's kustomize post-renderer", () => {
  it("outputs kafka-warden's objects for the 0.6.1 default release (else: node bench/kustomize/generate.mjs)", () => {
    const warden = objects(
      execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'kafka-warden'), 'render'], {
        input,
        encoding: 'utf8',
      }),
    );
    const kustomized = objects(kustomizePostRender(input));
    expect([...kustomized.keys()].sort()).toEqual([...warden.keys()].sort());
    for (const [key, object] of warden) expect([key, kustomized.get(key)]).toEqual([key, object]);
    expect(kustomized).not.toEqual(objects(input));
  });

  it('patches every release of a concatenated input, as the 100-release benchmark feeds it', () => {
    const kustomized = objects(kustomizePostRender(input + input.replaceAll('my-cp', 'rel2')));
    for (const name of ['rel2-cp-kafka', 'rel2-cp-zookeeper', 'my-cp-cp-kafka']) {
      // The chart sets no namespace: Helm applies the release namespace later.
      const statefulSet = kustomized.get(`StatefulSet /${name}`);
      expect(statefulSet?.spec?.template?.metadata?.annotations).toHaveProperty([
        'kafka-warden.io/status',
      ]);
    }
  });
});
