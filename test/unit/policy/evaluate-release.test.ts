import { WardenError } from '../../../src/core/errors';
import { evaluateRelease } from '../../../src/policy/evaluate-release';
import { kafka, zookeeper } from './fixtures';

const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' }, data: {} };

describe('evaluateRelease', () => {
  test('without previous objects, judges every workload as created and ignores everything else', async () => {
    const results = await evaluateRelease({ objects: [configMap, kafka(), zookeeper()] });
    expect(results.map((r) => [r.operation, r.kind, r.namespace, r.name])).toEqual([
      ['CREATE', 'StatefulSet', 'default', 'my-cp-cp-kafka'],
      ['CREATE', 'StatefulSet', 'default', 'my-cp-cp-zookeeper'],
    ]);
  });

  test('pairs by kind, namespace and name: both → UPDATE, only new → CREATE, only previous → DELETE', async () => {
    const moved = kafka({ name: 'events' });
    const results = await evaluateRelease({
      objects: [kafka({ replicas: 5 }), moved],
      previousObjects: [kafka(), zookeeper()],
    });
    expect(results.map((r) => [r.operation, r.name, r.verdict.allowed])).toEqual([
      ['UPDATE', 'my-cp-cp-kafka', false],
      ['CREATE', 'events', true],
      ['DELETE', 'my-cp-cp-zookeeper', false],
    ]);
  });

  test('objects without a namespace are in the given one; pairing respects namespaces', async () => {
    const elsewhere = kafka();
    elsewhere.metadata = { ...elsewhere.metadata, namespace: 'other' };
    const results = await evaluateRelease({
      objects: [kafka()],
      previousObjects: [elsewhere],
      namespace: 'kafka',
    });
    expect(results.map((r) => [r.operation, r.namespace])).toEqual([
      ['CREATE', 'kafka'],
      ['DELETE', 'other'],
    ]);
  });

  test('uses the ConfigMaps of the new release as the plan source', async () => {
    const plan = { version: 1, partitions: [{ topic: 't', partition: 0, replicas: [0, 1, 2] }] };
    const results = await evaluateRelease({
      objects: [
        kafka({ annotations: { 'kafka-warden.io/reassignment-plan-configmap': 'plan' } }),
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'plan' },
          data: { 'plan.json': JSON.stringify(plan) },
        },
      ],
      previousObjects: [kafka({ replicas: 5 })],
    });
    expect(results[0]?.verdict.allowed).toBe(true);
  });

  test('refuses the same StatefulSet twice, naming both places', async () => {
    const first = kafka();
    const second = kafka();
    const origin = (o: object) => (o === first ? 'a.yaml: document 1' : 'b.yaml: document 4');
    await expect(evaluateRelease({ objects: [first, second], origin })).rejects.toThrow(
      new WardenError(
        'KW_INPUT_DUPLICATE',
        'StatefulSet default/my-cp-cp-kafka appears twice (a.yaml: document 1 and b.yaml: document 4): pass each object once',
      ),
    );
  });
});
