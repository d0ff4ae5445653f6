/**
 * The two doors build a broker's context in one place (src/core/broker-context.ts), so what the
 * context carries agrees: a chart whose nodeport.firstListenerPort is not the default makes the
 * difference visible, which no stock value set does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { mutate } from '../../../src/admission/mutate';
import type { AdmissionRequest } from '../../../src/admission/review';
import { resolveConfig, type PartialConfig } from '../../../src/core/config';
import type { Container, KubeObject, StatefulSetSpec } from '../../../src/core/k8s-types';
import { transformManifests } from '../../../src/core/transform-manifests';
import { webhookRefusals } from '../../../src/core/webhook-scope';
import { sharedDir } from '../../support/paths';

const NODEPORT_RENDER = path.join(
  sharedDir(),
  'cp-helm-charts',
  'rendered',
  '0.6.1',
  'nodeport.yaml',
);

/** The chart's nodeport StatefulSet as if rendered with cp-kafka.nodeport.firstListenerPort 32000. */
function brokerStatefulSet(): KubeObject {
  const sts = parseAllDocuments(readFileSync(NODEPORT_RENDER, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .find((o) => o?.kind === 'StatefulSet' && o.metadata?.name?.endsWith('cp-kafka'));
  if (!sts) throw new Error('no broker StatefulSet in the nodeport render');
  const broker = (sts.spec as StatefulSetSpec).template?.spec?.containers.find(
    (c: Container) => c.name === 'cp-kafka-broker',
  );
  for (const port of broker?.ports ?? []) {
    const n = /^nodeport-(\d+)$/.exec(port.name ?? '')?.[1];
    if (n !== undefined) port.containerPort = 32000 + Number(n);
  }
  return sts;
}

function statefulSetRequest(object: KubeObject): AdmissionRequest {
  return {
    apiVersion: 'admission.k8s.io/v1',
    uid: 'u',
    kind: { group: 'apps', version: 'v1', kind: 'StatefulSet' },
    operation: 'CREATE',
    namespace: 'default',
    object,
    dryRun: false,
  };
}

const through = {
  postRenderer(sts: KubeObject, partial: PartialConfig): KubeObject {
    const clone = structuredClone(sts);
    transformManifests([clone], resolveConfig(partial));
    return clone;
  },
  webhook(sts: KubeObject, partial: PartialConfig) {
    const clone = structuredClone(sts);
    const result = mutate(statefulSetRequest(clone), {
      config: resolveConfig(partial),
      mutateStatefulSets: true,
    });
    return { result, object: clone };
  },
};

describe('the NodePort values through both doors (--mutate-statefulsets)', () => {
  const nodeport: PartialConfig = { listeners: { external: { mode: 'nodeport' } } };

  test('the chart first NodePort reaches the advertised listeners through the webhook too', () => {
    const sts = brokerStatefulSet();
    const rendered = through.postRenderer(sts, nodeport);
    const { result, object } = through.webhook(sts, nodeport);
    expect(result.result).toBe('injected');
    expect((object.spec as StatefulSetSpec).template).toEqual(
      (rendered.spec as StatefulSetSpec).template,
    );
    expect(JSON.stringify(object)).toContain('$((32000 + ${KAFKA_BROKER_ID}))');
  });

  test('a configured first NodePort the chart disagrees with is refused by both doors', () => {
    const sts = brokerStatefulSet();
    const conflicting: PartialConfig = {
      listeners: { external: { mode: 'nodeport', firstListenerPort: 32400 } },
    };
    expect(() => through.postRenderer(sts, conflicting)).toThrow(/firstListenerPort 32400/);
    const { result } = through.webhook(sts, conflicting);
    expect(result.result).toBe('failed-open');
    expect(result.reason).toBe('KW_EXTERNAL_PORT_CONFLICT');
  });
});

describe('a hostile list entry in the containers (fuzz seed 20244549)', () => {
  /** The broker's pod as a Pod review sends it, with a null entry before the broker container. */
  function podWithNullContainer(): AdmissionRequest {
    const spec = (brokerStatefulSet().spec as StatefulSetSpec).template?.spec;
    if (!spec) throw new Error('no pod template');
    return {
      ...statefulSetRequest({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'my-cp-cp-kafka-0', labels: { app: 'cp-kafka' } },
        spec: { ...spec, containers: [null, ...spec.containers] as unknown as Container[] },
      }),
      kind: { group: '', version: 'v1', kind: 'Pod' },
    };
  }

  test('is named and admitted unchanged (fails open), not a 500 from the notices', () => {
    const result = mutate(podWithNullContainer(), {
      config: resolveConfig({}),
      mutateStatefulSets: false,
    });
    expect(result).toMatchObject({
      allowed: true,
      result: 'failed-open',
      reason: 'KW_INPUT_FIELD',
    });
    expect(JSON.stringify(result.warnings)).toContain('spec.containers[0] is empty');
  });
});

describe('configurations the webhook cannot do whole', () => {
  test.each<[string, PartialConfig, string[]]>([
    ['the defaults', {}, []],
    ['TLS only', { tls: { keepPlaintext: false } }, ['tls.keepPlaintext']],
    [
      'TLS off (keepPlaintext has no effect)',
      { tls: { enabled: false, keepPlaintext: false } },
      [],
    ],
    ['nodeport (per pod instead)', { listeners: { external: { mode: 'nodeport' } } }, []],
    [
      'loadbalancer and TLS only',
      {
        tls: { keepPlaintext: false },
        listeners: { external: { mode: 'loadbalancer', hostTemplate: 'b{id}.example.com' } },
      },
      ['tls.keepPlaintext', 'listeners.external.mode'],
    ],
    [
      'hostname',
      { listeners: { external: { mode: 'hostname', hostTemplate: 'b{id}.example.com' } } },
      ['listeners.external.mode'],
    ],
  ])('%s', (_n, partial, settings) => {
    expect(webhookRefusals(resolveConfig(partial)).map((r) => r.setting)).toEqual(settings);
  });
});
