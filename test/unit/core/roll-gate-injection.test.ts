/**
 * The roll gate and publishNotReadyAddresses as the transformation sets and removes them: keyed by
 * name, so turning the setting off takes away exactly what turning it on added.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveConfig } from '../../../src/core/config';
import type { KubeObject, PodSpec, StatefulSetSpec } from '../../../src/core/k8s-types';
import {
  BROKER_IN_SYNC_CONDITION,
  ROLL_GATE_LABEL,
  setRollGate,
} from '../../../src/core/roll-gate';
import { transformManifests } from '../../../src/core/transform-manifests';
import { sharedDir } from '../../support/paths';

const load = () =>
  parseAllDocuments(
    readFileSync(
      path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
      'utf8',
    ),
  )
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);

const find = (objects: KubeObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name) as KubeObject;
const template = (objects: KubeObject[], name: string) =>
  (find(objects, 'StatefulSet', name).spec as StatefulSetSpec).template!;

describe('setRollGate', () => {
  test('adds once, keeps a user gate and its order, removes only its own', () => {
    const spec: PodSpec = { containers: [], readinessGates: [{ conditionType: 'example.com/x' }] };
    const meta: { labels?: Record<string, string> } = { labels: { app: 'cp-kafka' } };
    setRollGate(meta, spec, true);
    setRollGate(meta, spec, true);
    expect(spec.readinessGates).toEqual([
      { conditionType: 'example.com/x' },
      { conditionType: BROKER_IN_SYNC_CONDITION },
    ]);
    expect(meta.labels?.[ROLL_GATE_LABEL]).toBe('broker-in-sync');
    setRollGate(meta, spec, false);
    expect(spec.readinessGates).toEqual([{ conditionType: 'example.com/x' }]);
    expect(meta.labels).toEqual({ app: 'cp-kafka' });
  });

  test('a readinessGates of another type is left alone', () => {
    const spec = { containers: [], readinessGates: 'x' } as unknown as PodSpec;
    setRollGate({}, spec, true);
    expect(spec.readinessGates).toBe('x');
  });
});

describe('transformManifests', () => {
  test('rollGate on, then off: the broker template is as if it had never been on', () => {
    const direct = load();
    transformManifests(direct, resolveConfig());
    const chained = load();
    transformManifests(chained, resolveConfig({ rollGate: { enabled: true } }));
    const gated = template(chained, 'my-cp-cp-kafka');
    expect(gated.spec?.readinessGates).toEqual([{ conditionType: BROKER_IN_SYNC_CONDITION }]);
    expect(gated.metadata?.labels?.[ROLL_GATE_LABEL]).toBe('broker-in-sync');
    expect(template(chained, 'my-cp-cp-zookeeper').spec?.readinessGates).toBeUndefined();
    transformManifests(chained, resolveConfig());
    expect(template(chained, 'my-cp-cp-kafka')).toEqual(template(direct, 'my-cp-cp-kafka'));
  });

  test('governing Services publish not-ready addresses; probes off restores the chart', () => {
    const objects = load();
    transformManifests(objects, resolveConfig());
    for (const name of ['my-cp-cp-kafka-headless', 'my-cp-cp-zookeeper-headless']) {
      expect(find(objects, 'Service', name).spec).toMatchObject({ publishNotReadyAddresses: true });
    }
    // The client Services load-balance over Ready pods only: unchanged.
    expect(find(objects, 'Service', 'my-cp-cp-kafka').spec).not.toHaveProperty(
      'publishNotReadyAddresses',
    );
    transformManifests(
      objects,
      resolveConfig({ probes: { enabled: false }, tls: { enabled: false } }),
    );
    const stock = load();
    for (const name of ['my-cp-cp-kafka-headless', 'my-cp-cp-zookeeper-headless']) {
      expect(find(objects, 'Service', name)).toEqual(find(stock, 'Service', name));
    }
  });
});
