import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveConfig, type PartialConfig } from '../../../src/core/config';
import { readStatus, STATUS_ANNOTATION } from '../../../src/core/injection-status';
import type { KubeObject, ObjectMeta } from '../../../src/core/k8s-types';
import { renderManifests, renderRelease } from '../../../src/postrender/render';
import { dumpYaml11 } from '../../../src/manifests/yaml11';
import { sharedDir } from '../../support/paths';

const input = readFileSync(
  path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
  'utf8',
);
/** Drops what the API server cannot tell apart from absent: null and empty lists. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => [k, normalise(v)]),
  );
}

/** The stream as objects keyed by kind and name: the order of added documents is not meaningful. */
const objects = (stream: string) =>
  Object.fromEntries(
    parseAllDocuments(stream)
      .map(
        (d) =>
          d.toJS() as { kind: string; metadata: { name: string; labels?: Record<string, string> } },
      )
      .map((o) => [`${o.kind}/${o.metadata.name}`, normalise(o) as typeof o]),
  );
const render = (stream: string, partial: PartialConfig) =>
  renderManifests(stream, resolveConfig(partial));

describe('re-injection with a changed configuration', () => {
  test.each<[string, PartialConfig, PartialConfig]>([
    [
      'TLS-only then everything off',
      { tls: { keepPlaintext: false } },
      { tls: { enabled: false }, metrics: { enabled: false }, probes: { enabled: false } },
    ],
    [
      'everything off then defaults',
      { tls: { enabled: false }, metrics: { enabled: false }, probes: { enabled: false } },
      {},
    ],
    [
      'loadbalancer then nodeport',
      { listeners: { external: { mode: 'loadbalancer', hostTemplate: 'b{id}.example.com' } } },
      { listeners: { external: { mode: 'nodeport' } } },
    ],
    ['defaults then TLS-only', {}, { tls: { keepPlaintext: false } }],
    ['defaults then SASL', {}, { sasl: { enabled: true } }],
    ['SASL TLS-only then defaults', { tls: { keepPlaintext: false }, sasl: { enabled: true } }, {}],
    [
      'TLS-only then SASL TLS-only',
      { tls: { keepPlaintext: false } },
      { tls: { keepPlaintext: false }, sasl: { enabled: true } },
    ],
    [
      'content hash then another',
      { tls: { keepPlaintext: false, contentHash: 'aaa' } },
      { tls: { keepPlaintext: false, contentHash: 'bbb' } },
    ],
    ['content hash then none', { tls: { contentHash: 'aaa' } }, {}],
  ])(
    '%s: the result equals injecting the second configuration into the chart directly',
    (_n, first, second) => {
      const direct = objects(render(input, second));
      const chained = objects(render(render(input, first), second));
      // Documents the first configuration added stay in a chained stream (Helm never feeds a previous
      // render back in; in a real upgrade they simply are not rendered again). Everything else must match.
      for (const [key, object] of Object.entries(chained)) {
        if (!direct[key] && object.metadata.labels?.['kafka-warden.io/generated'] === 'true')
          delete chained[key];
      }
      expect(chained).toEqual(direct);
    },
  );

  test("turning metrics off removes kafka-warden's exporter, init container and volume and gives the chart's sidecar back", () => {
    const once = render(input, {});
    const off = render(once, { metrics: { enabled: false } });
    const sts = objects(off)['StatefulSet/my-cp-cp-kafka'];
    const text = JSON.stringify(sts);
    expect(text).toContain('/etc/jmx-kafka/jmx-kafka-prometheus.yml');
    expect(text).not.toContain('kafka-warden-init');
    expect(text).not.toContain('kafka-warden-metrics');
  });
});

describe('a status record of another shape (hand-edited, or foreign)', () => {
  const injected = renderRelease(input, resolveConfig()).objects;
  const broker = injected.find(
    (o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka',
  ) as KubeObject & { spec: { template: { metadata: ObjectMeta; spec: unknown } } };
  const record = JSON.parse(
    broker.spec.template.metadata.annotations?.[STATUS_ANNOTATION] as string,
  ) as Record<string, unknown>;

  test.each<[string, Record<string, unknown>]>([
    ['a list that is a number', { ...record, containers: 5 }],
    ['a list missing', { ...record, volumes: undefined }],
    ['env names that are not a list', { ...record, env: { 'cp-kafka-broker': 'KAFKA_OPTS' } }],
    ['originals without env', { ...record, originals: { command: {} } }],
    [
      'an original command that is a string',
      { ...record, originals: { env: {}, command: { 'cp-kafka-broker': 'x' } } },
    ],
    [
      'a removed port without a position',
      { ...record, originals: { env: {}, command: {}, removedPorts: { a: [{ port: {} }] } } },
    ],
  ])('%s: is read as no record, and re-injection writes a fresh one', (_name, edited) => {
    const copy = structuredClone(broker);
    const annotations = copy.spec.template.metadata.annotations as Record<string, string>;
    annotations[STATUS_ANNOTATION] = JSON.stringify(edited);
    expect(readStatus(copy.spec.template.metadata)).toBeNull();
    // It threw a TypeError (the webhook's 500, the post-renderer's internal error).
    const again = renderRelease(`---\n${dumpYaml11(copy)}`, resolveConfig())
      .objects[0] as typeof broker;
    expect(readStatus(again.spec.template.metadata)).not.toBeNull();
    expect(again.spec.template.spec).toEqual(broker.spec.template.spec);
  });

  test('the record kafka-warden writes is read back', () => {
    expect(readStatus(broker.spec.template.metadata)).toEqual(record);
  });
});

describe("a Service's status record of another shape", () => {
  const injected = renderManifests(input, resolveConfig());
  const record = `kafka-warden.io/status: '{"addedPorts":["broker-tls"],"removedPorts":[]}'`;

  test.each([
    ['removed ports that are a number', '{"addedPorts":["broker-tls"],"removedPorts":5}'],
    ['added ports that are a number', '{"addedPorts":7,"removedPorts":[]}'],
    ['a removed port that is null', '{"removedPorts":[null]}'],
    ['a list', '[1]'],
  ])('%s: is read as no record, and the Service keeps one TLS port', (_name, edited) => {
    expect(injected).toContain(record);
    const text = injected.replaceAll(record, `kafka-warden.io/status: '${edited}'`);
    // It threw a TypeError: the post-renderer's internal error.
    const again = renderRelease(text, resolveConfig()).objects.find(
      (o) => o.kind === 'Service' && o.metadata?.name === 'my-cp-cp-kafka-headless',
    ) as KubeObject & { spec: { ports: { name?: string }[] } };
    expect(again.spec.ports.filter((p) => p.name === 'broker-tls')).toHaveLength(1);
  });
});
