import { resolveConfig } from '../../../src/core/config';
import { WardenError } from '../../../src/core/errors';
import { transformManifests } from '../../../src/core/transform-manifests';
import type { KubeObject } from '../../../src/core/k8s-types';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderRelease } from '../../../src/postrender/render';

describe('PodDisruptionBudget upgrade', () => {
  test('policy/v1beta1 with a selector becomes policy/v1 and keeps its spec', () => {
    const pdb: KubeObject = {
      apiVersion: 'policy/v1beta1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'zk' },
      spec: { selector: { matchLabels: { app: 'cp-zookeeper' } }, maxUnavailable: 1 },
    };
    transformManifests([pdb], resolveConfig());
    expect(pdb).toEqual({ ...pdb, apiVersion: 'policy/v1' });
  });

  test('an empty selector is refused: policy/v1 would read it as every pod in the namespace', () => {
    const pdb: KubeObject = {
      apiVersion: 'policy/v1beta1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'zk' },
      spec: { selector: {}, maxUnavailable: 1 },
    };
    expect(() => transformManifests([pdb], resolveConfig())).toThrow(WardenError);
    expect(() => transformManifests([pdb], resolveConfig())).toThrow(/PodDisruptionBudget zk/);
  });

  test('a budget whose matchLabels is null selects no broker: the broker budget is still added', () => {
    // Found by the fuzz tier: `matchLabels:` with nothing after it is null, and was read as labels.
    const release = readFileSync(
      path.join(__dirname, '../../../examples/cp-helm-charts-0.6.1-default.yaml'),
      'utf8',
    );
    const nullSelector = [
      'apiVersion: policy/v1',
      'kind: PodDisruptionBudget',
      'metadata:',
      '  name: odd',
      'spec:',
      '  maxUnavailable: 1',
      '  selector:',
      '    matchLabels:',
    ].join('\n');
    const result = renderRelease(`${release}\n---\n${nullSelector}\n`, resolveConfig());
    const budgets = result.objects.filter((o) => o?.kind === 'PodDisruptionBudget');
    expect(budgets.map((b) => b?.metadata?.name)).toEqual(
      expect.arrayContaining(['odd', expect.stringContaining('kafka')]),
    );
  });

  test('the upgrade can be switched off', () => {
    const pdb: KubeObject = {
      apiVersion: 'policy/v1beta1',
      kind: 'PodDisruptionBudget',
      spec: { selector: { matchLabels: { a: 'b' } } },
    };
    transformManifests([pdb], resolveConfig({ disruptionBudgets: { upgradeApiVersion: false } }));
    expect(pdb.apiVersion).toBe('policy/v1beta1');
  });
});

describe('Helm hooks', () => {
  test('a hook that looks like a broker is left alone', () => {
    const hook: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'x', annotations: { 'helm.sh/hook': 'test-success' } },
      spec: { containers: [{ name: 'cp-kafka-broker', image: 'confluentinc/cp-kafka:6.1.0' }] },
    };
    const before = structuredClone(hook);
    transformManifests([hook], resolveConfig());
    expect(hook).toEqual(before);
  });
});

describe('Helm 4', () => {
  test('documents kafka-warden adds carry the postrender-filename annotation of their StatefulSet', () => {
    const sts: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: {
        name: 'k',
        annotations: {
          'postrenderer.helm.sh/postrender-filename': 'cp-kafka/templates/statefulset.yaml',
        },
      },
      spec: {
        serviceName: 'k-headless',
        replicas: 1,
        selector: { matchLabels: { app: 'cp-kafka' } },
        template: {
          metadata: { labels: { app: 'cp-kafka' } },
          spec: { containers: [{ name: 'cp-kafka-broker' }] },
        },
      },
    };
    const { added } = transformManifests([sts], resolveConfig());
    expect(added.length).toBeGreaterThan(0);
    for (const { object } of added) {
      expect(object.metadata?.annotations?.['postrenderer.helm.sh/postrender-filename']).toBe(
        'cp-kafka/templates/statefulset.yaml',
      );
    }
  });
});
