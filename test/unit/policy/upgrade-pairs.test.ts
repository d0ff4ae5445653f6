/**
 * Upgrades of real cp-helm-charts releases, with the verdict a Kafka operator expects. Modified
 * inputs are built here from the real renders (env entries, annotations added programmatically).
 * docs/policy.md shows the same table; the last test keeps the two in step.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AdmissionRequest } from '../../../src/admission/review';
import { validate } from '../../../src/admission/validate';
import type { KubeObject } from '../../../src/core/k8s-types';
import { evaluateRelease, type ObjectVerdict } from '../../../src/policy/evaluate-release';
import { evaluate } from '../../../src/policy/engine';
import { parseManifests } from '../../../src/policy/parse-manifests';
import { configMapPlanSource } from '../../../src/policy/plan-source';
import { CHART_VERSIONS, REPO_ROOT } from '../../support/paths';
import { admissionReview } from '../../support/pods';
import { resolveConfig, type PartialConfig } from '../../../src/core/config';
import { renderManifests } from '../../../src/postrender/render';
import {
  render,
  renderPath,
  withAnnotations,
  withBrokerContainer,
  withBrokerEnv,
  withPodAnnotations,
} from './fixtures';

const PINNED_2_5 = {
  KAFKA_INTER_BROKER_PROTOCOL_VERSION: '2.5',
  KAFKA_LOG_MESSAGE_FORMAT_VERSION: '2.5',
};
const BUMPED_2_7 = {
  KAFKA_INTER_BROKER_PROTOCOL_VERSION: '2.7',
  KAFKA_LOG_MESSAGE_FORMAT_VERSION: '2.7',
};
const stepOne = () => withBrokerEnv(render('0.6.1', 'default'), PINNED_2_5);
const EXEMPT_SCALING = { 'kafka-warden.io/exempt-broker-scaling': 'CHG-12: topics moved by hand' };
/** Not what detection looks for, but the same Confluent release (no version change). */
const DISGUISED = { name: 'broker', image: 'registry.example/streaming/broker:6.1.0' };

/** A ConfigMap holding a plan that moves every partition of a topic off brokers 3 and 4. */
function planConfigMap(): KubeObject {
  const partitions = [0, 1, 2, 3, 4].map((p) => ({
    topic: 'orders',
    partition: p,
    replicas: [p % 3, (p + 1) % 3],
  }));
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'shrink-to-3' },
    data: { 'plan.json': JSON.stringify({ version: 1, partitions }) },
  };
}

/** [pair as documented, before, after, expected verdict] */
const PAIRS: [
  pair: string,
  before: () => KubeObject[],
  after: () => KubeObject[],
  expected: string,
][] = [
  [
    '0.5.0/default → 0.6.1/default (as released)',
    () => render('0.5.0', 'default'),
    () => render('0.6.1', 'default'),
    'deny: kafka-version',
  ],
  [
    '0.5.0/default → 0.6.1/default + protocol and format pinned to 2.5 (step 1)',
    () => render('0.5.0', 'default'),
    stepOne,
    'allow',
  ],
  [
    'step 1 → the same image, protocol and format bumped to 2.7 (step 2)',
    stepOne,
    () => withBrokerEnv(render('0.6.1', 'default'), BUMPED_2_7),
    'allow',
  ],
  [
    'step 1 → 0.5.0/default with the pins kept (rolling step 1 back)',
    stepOne,
    () => withBrokerEnv(render('0.5.0', 'default'), PINNED_2_5),
    'allow',
  ],
  [
    '0.6.1/default → 0.5.0/default (downgrade after the protocol moved on)',
    () => render('0.6.1', 'default'),
    () => render('0.5.0', 'default'),
    'deny: kafka-version',
  ],
  [
    '0.5.0/default → 0.6.1/default + protocol 2.7 (bump with the image)',
    () => render('0.5.0', 'default'),
    () => withBrokerEnv(render('0.6.1', 'default'), BUMPED_2_7),
    'deny: kafka-version',
  ],
  [
    '0.6.1/brokers5 → 0.6.1/default + broker-scaling exemption added in the same change',
    () => render('0.6.1', 'brokers5'),
    () => withAnnotations(render('0.6.1', 'default'), 'cp-kafka-broker', EXEMPT_SCALING),
    'deny: broker-scaling; warn: kafka-warden.io/exempt-broker-scaling is ignored',
  ],
  [
    '0.6.1/brokers5 + broker-scaling exemption → 0.6.1/default + the same exemption',
    () => withAnnotations(render('0.6.1', 'brokers5'), 'cp-kafka-broker', EXEMPT_SCALING),
    () => withAnnotations(render('0.6.1', 'default'), 'cp-kafka-broker', EXEMPT_SCALING),
    'allow',
  ],
  [
    '0.6.1/brokers5 + broker-scaling exemption in cp-kafka.podAnnotations → 0.6.1/default + the same',
    () => withPodAnnotations(render('0.6.1', 'brokers5'), 'cp-kafka-broker', EXEMPT_SCALING),
    () => withPodAnnotations(render('0.6.1', 'default'), 'cp-kafka-broker', EXEMPT_SCALING),
    'deny: broker-scaling',
  ],
  [
    '0.6.1/default → 0.6.1/default, broker container renamed on an unlisted image',
    () => render('0.6.1', 'default'),
    () => withBrokerContainer(render('0.6.1', 'default'), DISGUISED),
    'deny: workload-identity',
  ],
  [
    '0.6.1/brokers5 → 0.6.1/default, broker container renamed on an unlisted image',
    () => render('0.6.1', 'brokers5'),
    () => withBrokerContainer(render('0.6.1', 'default'), DISGUISED),
    'deny: broker-scaling, workload-identity',
  ],
  ...CHART_VERSIONS.flatMap((v): [string, () => KubeObject[], () => KubeObject[], string][] => [
    [
      `${v}/default → ${v}/brokers5`,
      () => render(v, 'default'),
      () => render(v, 'brokers5'),
      'deny: broker-scaling',
    ],
    [
      `${v}/default → ${v}/brokers5 + scale-up acknowledged`,
      () => render(v, 'default'),
      () =>
        withAnnotations(render(v, 'brokers5'), 'cp-kafka-broker', {
          'kafka-warden.io/scale-up-acknowledged': 'new brokers for the audit topics',
        }),
      'allow',
    ],
    [
      `${v}/default → ${v}/brokers5 + scale-up acknowledged in cp-kafka.podAnnotations`,
      () => render(v, 'default'),
      () =>
        withPodAnnotations(render(v, 'brokers5'), 'cp-kafka-broker', {
          'kafka-warden.io/scale-up-acknowledged': 'new brokers for the audit topics',
        }),
      'allow',
    ],
    [
      `${v}/brokers5 → ${v}/default`,
      () => render(v, 'brokers5'),
      () => render(v, 'default'),
      'deny: broker-scaling',
    ],
    [
      `${v}/brokers5 → ${v}/default + reassignment plan ConfigMap`,
      () => render(v, 'brokers5'),
      () => [
        ...withAnnotations(render(v, 'default'), 'cp-kafka-broker', {
          'kafka-warden.io/reassignment-plan-configmap': 'shrink-to-3',
        }),
        planConfigMap(),
      ],
      'allow',
    ],
    [
      `${v}/brokers5 → ${v}/default + reassignment plan ConfigMap in cp-kafka.podAnnotations`,
      () => render(v, 'brokers5'),
      () => [
        ...withPodAnnotations(render(v, 'default'), 'cp-kafka-broker', {
          'kafka-warden.io/reassignment-plan-configmap': 'shrink-to-3',
        }),
        planConfigMap(),
      ],
      'allow',
    ],
    [
      `${v}/default → ${v}/parallel`,
      () => render(v, 'default'),
      () => render(v, 'parallel'),
      'deny: ordered-ready',
    ],
    [
      `${v}/parallel → ${v}/default (podManagementPolicy changed in place)`,
      () => render(v, 'parallel'),
      () => render(v, 'default'),
      'deny: ordered-ready',
    ],
    [
      `${v}/parallel → ${v}/parallel (applied again)`,
      () => render(v, 'parallel'),
      () => render(v, 'parallel'),
      'allow; warn: ordered-ready',
    ],
    [
      `${v}/default → ${v}/ondelete`,
      () => render(v, 'default'),
      () => render(v, 'ondelete'),
      'deny: update-strategy',
    ],
    [
      `${v}/default → ${v}/zk5`,
      () => render(v, 'default'),
      () => render(v, 'zk5'),
      'deny: zookeeper-ensemble',
    ],
    [
      `${v}/default → ${v}/zk5 + ensemble change acknowledged`,
      () => render(v, 'default'),
      () =>
        withAnnotations(render(v, 'zk5'), 'cp-zookeeper-server', {
          'kafka-warden.io/ensemble-change-acknowledged': 'CHG-7: grow to 5',
        }),
      'allow',
    ],
    [
      `${v}/default → ${v}/zk5 + ensemble change acknowledged in cp-zookeeper.podAnnotations`,
      () => render(v, 'default'),
      () =>
        withPodAnnotations(render(v, 'zk5'), 'cp-zookeeper-server', {
          'kafka-warden.io/ensemble-change-acknowledged': 'CHG-7: grow to 5',
        }),
      'allow',
    ],
    [
      `${v}/default → ${v}/jmx-disabled`,
      () => render(v, 'default'),
      () => render(v, 'jmx-disabled'),
      'allow',
    ],
    [
      `${v}/default → ${v}/default after kafka-warden render`,
      () => render(v, 'default'),
      () => postRendered(v, 'default'),
      'deny: listener-migration',
    ],
    [
      `${v}/default → ${v}/default after kafka-warden render with tls.interBrokerListener: PLAINTEXT (first roll)`,
      () => render(v, 'default'),
      () => postRendered(v, 'default', { tls: { interBrokerListener: 'PLAINTEXT' } }),
      'allow',
    ],
    [
      `${v}/default after kafka-warden render with tls.interBrokerListener: PLAINTEXT → after kafka-warden render (second roll)`,
      () => postRendered(v, 'default', { tls: { interBrokerListener: 'PLAINTEXT' } }),
      () => postRendered(v, 'default'),
      'allow',
    ],
  ]),
];

/** The render through kafka-warden: the golden output, or rendered here with a configuration. */
function postRendered(version: string, valueSet: string, config?: PartialConfig): KubeObject[] {
  if (config) {
    const output = renderManifests(
      readFileSync(renderPath(version, valueSet), 'utf8'),
      resolveConfig(config),
    );
    return parseManifests(output, `${version}/${valueSet} rendered`).map((s) => s.object);
  }
  const file = path.join(REPO_ROOT, 'test', 'golden', 'expected', version, `${valueSet}.yaml`);
  return parseManifests(readFileSync(file, 'utf8'), file).map((s) => s.object);
}

/** `allow`, `deny: rule, rule`, plus `warn: rule` when something warned. */
function summarise(results: ObjectVerdict[]): string {
  const denied = [...new Set(results.flatMap((r) => r.verdict.denials.map((f) => f.rule)))];
  const warned = [
    ...new Set(results.flatMap((r) => r.verdict.warnings.map((w) => w.split(':')[0]))),
  ];
  return [
    denied.length > 0 ? `deny: ${denied.join(', ')}` : 'allow',
    ...(warned.length > 0 ? [`warn: ${warned.join(', ')}`] : []),
  ].join('; ');
}

describe('upgrades of real cp-helm-charts releases', () => {
  test.each(PAIRS)('%s: %s', async (_pair, before, after, expected) => {
    const results = await evaluateRelease({ objects: after(), previousObjects: before() });
    expect(results.map((r) => r.operation)).toEqual(['UPDATE', 'UPDATE']);
    expect(summarise(results)).toBe(expected);
  });

  test.each(PAIRS)(
    '%s: the validating webhook denies what check denies',
    async (_p, before, after) => {
      const [old, now] = [before(), after()];
      const planSource = configMapPlanSource(now, 'default');
      const fromCheck = await evaluateRelease({ objects: now, previousObjects: old });
      for (const object of now.filter((o) => o.kind === 'StatefulSet')) {
        const name = object.metadata?.name;
        const oldObject = old.find((o) => o.kind === 'StatefulSet' && o.metadata?.name === name);
        const review = admissionReview(object, { operation: 'UPDATE', oldObject });
        const outcome = await validate(review.request as AdmissionRequest, (pr) =>
          evaluate(pr, { planSource }),
        );
        const denied = [...(outcome.message ?? '').matchAll(/^\[([a-z-]+)\]/gm)].map((m) => m[1]);
        const verdict = fromCheck.find((r) => r.name === name)?.verdict;
        expect(denied).toEqual(verdict?.denials.map((f) => f.rule));
        expect(outcome.allowed).toBe(verdict?.allowed);
      }
    },
  );

  test('docs/policy.md shows this table', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'policy.md'), 'utf8');
    const missing = PAIRS.filter(
      ([pair, , , expected]) => !doc.includes(`| ${pair} | ${expected} |`),
    );
    expect(missing.map(([pair, , , expected]) => `| ${pair} | ${expected} |`)).toEqual([]);
  });
});

describe('every real render, installed fresh', () => {
  const renders = CHART_VERSIONS.flatMap((v) =>
    [
      'default',
      'brokers5',
      'nodeport',
      'jmx-disabled',
      'persistence-disabled',
      'persistence-disabled-kafka-only',
      'kafka-zk-only',
      'zk5',
      'parallel',
      'ondelete',
    ].map((set) => [`${v}/${set}`, v, set] as const),
  );
  const expected: Record<string, string> = {
    parallel: 'deny: ordered-ready',
    ondelete: 'deny: update-strategy',
  };

  test.each(renders)('%s', async (_name, version, set) => {
    const results = await evaluateRelease({ objects: render(version, set) });
    expect(results.map((r) => `${r.operation} ${r.name}`)).toEqual([
      'CREATE my-cp-cp-kafka',
      'CREATE my-cp-cp-zookeeper',
    ]);
    expect(summarise(results)).toBe(expected[set] ?? 'allow');
  });

  test('a release with another name is found by its pods, not its names', async () => {
    const results = await evaluateRelease({
      objects: render('0.6.1', '_releasename-cp-kafka-prod-kafka-zk-only'),
    });
    expect(results.map((r) => r.name)).toEqual(['cp-kafka-prod', 'cp-kafka-prod-cp-zookeeper']);
  });
});
