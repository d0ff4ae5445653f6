/**
 * The render pre-filter (src/postrender/prefilter.ts) against its plain counterpart, every
 * document through the transformation: given every real render (the cp-helm-charts renders in
 * ../shared, test/golden/inputs, examples/ and the golden outputs, which carry kafka-warden's own
 * records) and generated variants of their workloads, under every golden configuration and one
 * with its own detection lists, the post-renderer's output (or its error) is the same with and
 * without it; and every document detection (src/core/detect.ts) finds, or that carries a record,
 * is one it lets through.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { resolveConfig, type WardenConfig } from '../../../src/core/config';
import { detectWorkload } from '../../../src/core/detect';
import { WardenError } from '../../../src/core/errors';
import { STATUS_ANNOTATION } from '../../../src/core/injection-status';
import type { KubeObject, PodTemplate } from '../../../src/core/k8s-types';
import { WORKLOAD_KINDS } from '../../../src/core/k8s-types';
import { loadConfigFile } from '../../../src/config/load-config';
import { isBlankDocument, splitDocuments } from '../../../src/manifests/split-documents';
import { loadYaml11, dumpYaml11 } from '../../../src/manifests/yaml11';
import { documentFilter, everyDocument } from '../../../src/postrender/prefilter';
import { renderRelease } from '../../../src/postrender/render';
import { goldenCases, GOLDEN_DIR } from '../../golden/cases';
import { REPO_ROOT } from '../../support/paths';

const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(dir, f));

const cases = goldenCases();
/** Every real render: the golden inputs (../shared and test/golden/inputs), examples/, outputs. */
const renders = [
  ...new Set([
    ...cases.map((c) => c.input),
    ...yamlFiles(path.join(REPO_ROOT, 'examples')),
    ...cases.map((c) => c.expected),
  ]),
].map((file) => ({
  name: path.relative(REPO_ROOT, file),
  text: readFileSync(file, 'utf8'),
  // The chart's renders get variants; the golden outputs are variants of them already.
  vary: !cases.some((c) => c.expected === file),
}));

const ownDetection = resolveConfig({
  detection: {
    kafka: {
      labels: { 'app.kubernetes.io/name': 'kafka' },
      containerNames: ['broker'],
      images: ['mirror.example.com/kafka/cp-server'],
    },
  },
});
const configs: [string, WardenConfig][] = [
  ['defaults', resolveConfig()],
  ...[...new Set(cases.flatMap((c) => (c.config ? [c.config] : [])))].map(
    (file) => [path.basename(file), loadConfigFile(file)] as [string, WardenConfig],
  ),
  ['its own detection lists', ownDetection],
];
/** For the variants, whose number multiplies: what changes what the pre-filter looks for. */
const VARIANT_CONFIGS = new Set(['defaults', 'tls-only.yaml', 'its own detection lists']);

type Outcome = { output: string } | { error: string };
function outcome(render: () => { output: string }): Outcome {
  try {
    return { output: render().output };
  } catch (error) {
    if (error instanceof WardenError) return { error: `${error.code}: ${error.message}` };
    throw error;
  }
}

const templateOf = (object: KubeObject): PodTemplate | undefined =>
  object.kind === 'Pod'
    ? (object as PodTemplate)
    : WORKLOAD_KINDS.has(object.kind ?? '')
      ? ((object.spec as { template?: PodTemplate } | undefined)?.template ?? undefined)
      : undefined;

/**
 * Variants of a render's workloads, as text: what detection reads written other ways (quoted,
 * with comments, images from a mirror by digest), what it needs taken away (container names, so
 * the image and labels must decide; labels, so they cannot), a Pod made from each template, and
 * the detection lists of `ownDetection` put in.
 */
function variants(text: string): [string, string][] {
  const documents = splitDocuments(text).filter((d) => !isBlankDocument(d.text));
  const rewrite = (edit: (object: KubeObject) => KubeObject[] | null) =>
    documents
      .flatMap((d) => {
        const object = loadYaml11(d.text) as KubeObject;
        const edited = templateOf(object) ? edit(structuredClone(object)) : null;
        return edited ? edited.map((o) => `---\n${dumpYaml11(o)}`) : [d.text];
      })
      .join('\n');
  const eachContainer = (object: KubeObject, change: (c: Record<string, unknown>) => void) => {
    for (const c of templateOf(object)?.spec?.containers ?? []) change(c);
    return [object];
  };
  return [
    [
      'quoted names and labels, trailing comments',
      text
        .replace(/^(\s+)(app|name): ([a-z0-9-]+)$/gm, `$1$2: "$3"`)
        .replace(/^(\s+)(release): ([a-z0-9-]+)$/gm, `$1'$2': '$3' # the release`),
    ],
    [
      'images from a mirror by digest',
      rewrite((o) =>
        eachContainer(o, (c) => {
          if (typeof c.image === 'string')
            c.image = `registry.example.com:5000/${c.image.replace(/:.*$/, '')}@sha256:${'ab'.repeat(32)}`;
        }),
      ),
    ],
    [
      "container names that are not the chart's",
      rewrite((o) =>
        eachContainer(o, (c) => {
          c.name = `renamed-${String(c.name)}`;
        }),
      ),
    ],
    [
      'no labels on the template',
      rewrite((o) => {
        const template = templateOf(o);
        if (template?.metadata) delete template.metadata.labels;
        return [o];
      }),
    ],
    [
      'a Pod from each template beside its workload',
      rewrite((o) => {
        const template = templateOf(o);
        if (o.kind === 'Pod' || !template) return [o];
        const pod: KubeObject = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { ...template.metadata, name: `${o.metadata?.name ?? 'pod'}-0` },
          spec: template.spec,
        };
        return [o, pod];
      }),
    ],
    [
      'the detection lists of a platform of its own',
      rewrite((o) => {
        const template = templateOf(o);
        if (!template?.metadata || !template.spec) return [o];
        template.metadata.labels = {
          ...template.metadata.labels,
          'app.kubernetes.io/name': 'kafka',
        };
        const first = template.spec.containers[0];
        if (first) first.image = 'mirror.example.com/kafka/cp-server:7.0.1';
        return [o];
      }),
    ],
  ];
}

describe.each(renders.map((r) => [r.name, r] as const))('%s', (_name, render) => {
  const asRendered: [string, string] = ['as rendered', render.text];
  const varied = render.vary ? variants(render.text) : [];
  const streamsUnder = (name: string) => [asRendered, ...(VARIANT_CONFIGS.has(name) ? varied : [])];

  test.each(configs)(
    'under %s, every stream renders the same with the pre-filter as without it',
    (name, config) => {
      for (const [variant, text] of streamsUnder(name)) {
        const fast = outcome(() => renderRelease(text, config));
        const plain = outcome(() => renderRelease(text, config, everyDocument));
        expect({ variant, ...fast }).toEqual({ variant, ...plain });
      }
    },
  );

  test.each(configs)(
    'under %s, every document detection finds or a record marks is let through',
    (name, config) => {
      const filter = documentFilter(config);
      let detected = 0;
      for (const [variant, text] of streamsUnder(name)) {
        for (const document of splitDocuments(text)) {
          if (isBlankDocument(document.text)) continue;
          const object = loadYaml11(document.text) as KubeObject;
          const template = templateOf(object);
          const found = template && detectWorkload(template.metadata, template.spec, config);
          const recorded = template?.metadata?.annotations?.[STATUS_ANNOTATION] !== undefined;
          if (!found && !recorded) continue;
          if (found) detected++;
          const where = `${variant}: ${object.kind ?? ''} ${object.metadata?.name ?? ''}`;
          expect({ where, through: filter(object, document.text) }).toEqual({
            where,
            through: object.metadata?.annotations?.['helm.sh/hook'] === undefined,
          });
        }
      }
      // Every render holds a broker or ZooKeeper; under its own lists, a variant makes one.
      if (render.vary || name !== 'its own detection lists') expect(detected).toBeGreaterThan(0);
    },
  );
});

test('the golden inputs of our own are among the renders', () => {
  expect(renders.some((r) => r.name.startsWith(path.relative(REPO_ROOT, GOLDEN_DIR)))).toBe(true);
});
