/**
 * sameCacheKey, the mutation cache's fast path, against its plain counterpart cacheKey (the key as
 * JSON text): whenever it says two pods have the same key, their keys are equal; and for the pods
 * of one StatefulSet, as the API server sends them (each its own name, ordinal labels, hostname and
 * token volume), it does say so, or the fast path would never be taken. Over the pods of every
 * golden case's workloads and seeded variants of them: changed, retyped and renamed fields,
 * reordered mappings, token volume names in odd places, metadata and labels of other shapes.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { cacheKey, sameCacheKey, type KeyedPod } from '../../../src/admission/cache-key';
import type { Operation } from '../../../src/admission/review';
import type { KubeObject } from '../../../src/core/k8s-types';
import { platformTokenVolume } from '../../../src/core/pod-edit';
import { goldenCases } from '../../golden/cases';
import { podFromStatefulSet } from '../../support/pods';
import { seededRandom } from '../../support/seeded-random';

/** A workload's pod with the token volume ServiceAccount admission adds, as JSON parses it. */
function podOf(workload: KubeObject, ordinal: number, token: string | undefined): KubeObject {
  const pod = podFromStatefulSet(workload, ordinal);
  if (token !== undefined) {
    const spec = pod.spec as { volumes?: unknown[]; containers?: { volumeMounts?: unknown[] }[] };
    spec.volumes = [...(spec.volumes ?? []), { name: token, projected: { sources: [] } }];
    for (const container of spec.containers ?? []) {
      container.volumeMounts = [
        ...(container.volumeMounts ?? []),
        { name: token, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
      ];
    }
  }
  return JSON.parse(JSON.stringify(pod)) as KubeObject;
}

function keyed(object: KubeObject, operation: Operation = 'CREATE'): KeyedPod {
  return {
    operation,
    mutateStatefulSets: false,
    object,
    tokenVolume: platformTokenVolume(object.spec as never),
  };
}

/** The rule: the fast path says "same" only where the plain keys are equal. */
function expectSound(a: KeyedPod, b: KeyedPod, where: string): boolean {
  const same = sameCacheKey(a, b);
  if (same && cacheKey(a) !== cacheKey(b)) {
    throw new Error(`${where}: sameCacheKey said same, but the keys differ`);
  }
  return same;
}

const workloads = goldenCases().flatMap((testCase) =>
  parseAllDocuments(readFileSync(testCase.input, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o?.kind === 'StatefulSet' || o?.kind === 'Deployment')
    .map((workload) => [`${testCase.name}: ${workload.metadata?.name}`, workload] as const),
);

describe('sameCacheKey says same only where cacheKey is equal', () => {
  test.each(workloads)('the pods of one StatefulSet: %s', (_name, workload) => {
    const tokens = ['kube-api-access-b2c4d', 'kube-api-access-x9z7q', undefined];
    const pods = [0, 1, 7].map((n, i) => keyed(podOf(workload, n, tokens[i % 2])));
    // Siblings with token volumes: the fast path is taken, and rightly.
    expect(expectSound(pods[0]!, pods[1]!, 'siblings')).toBe(true);
    expect(cacheKey(pods[0]!)).toBe(cacheKey(pods[1]!));
    expect(expectSound(pods[1]!, pods[2]!, 'siblings')).toBe(true);
    // Without a token volume, against one with: different keys.
    const bare = keyed(podOf(workload, 3, undefined));
    expect(expectSound(bare, pods[0]!, 'no token volume')).toBe(false);
    // Another operation or cache option: different keys.
    expect(sameCacheKey(pods[0]!, { ...pods[1]!, operation: 'UPDATE' })).toBe(false);
    expect(sameCacheKey(pods[0]!, { ...pods[1]!, mutateStatefulSets: true })).toBe(false);
  });

  test.each(workloads)('seeded variants of the pods of %s', (_name, workload) => {
    const tokens = ['kube-api-access-b2c4d', 'kube-api-access-x9z7q'];
    let same = 0;
    let different = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const random = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const a = podOf(workload, 0, tokens[0]);
      const b = podOf(workload, Math.floor(random() * 5), pick(tokens));
      const changes = Math.floor(random() * 3);
      for (let n = 0; n < changes; n++) vary(b, random, pick, tokens);
      const result = expectSound(keyed(a), keyed(b), `seed ${seed}`);
      if (result) same++;
      else different++;
      // And the other way round.
      expectSound(keyed(b), keyed(a), `seed ${seed}, reversed`);
    }
    expect(same).toBeGreaterThan(0);
    expect(different).toBeGreaterThan(0);
  });

  test('token volume names in strings, field names, and of unusual spellings', () => {
    const workload = workloads[0]![1];
    const cases: [string, (pod: KubeObject, token: string) => void][] = [
      ['a value that is the token name', (pod, token) => annotate(pod, 'a', token)],
      ['a value ending in a quote and the name', (pod, token) => annotate(pod, 'a', `x"${token}`)],
      ['a value ending in the name', (pod, token) => annotate(pod, 'a', `x${token}`)],
      ['a field named after the token', (pod, token) => annotate(pod, token, 'v')],
      ['the other pod token as a value', (pod) => annotate(pod, 'a', 'kube-api-access-b2c4d')],
    ];
    for (const [name, change] of cases) {
      for (const [ta, tb] of [
        ['kube-api-access-b2c4d', 'kube-api-access-x9z7q'],
        ['kube-api-access-b2c4d', 'kube-api-access-b2c4d'],
      ] as const) {
        const a = podOf(workload, 0, ta);
        const b = podOf(workload, 1, tb);
        change(a, ta);
        change(b, tb);
        expectSound(keyed(a), keyed(b), `${name}, both`);
        expectSound(keyed(a), keyed(podOf(workload, 1, tb)), `${name}, one`);
      }
    }
    // Names the walk does not reason about: never "same", whatever the keys.
    for (const odd of ['kube-api-access-"x', 'kube-api-access-a\\', 'kube-api-access-X']) {
      const a = keyed(podOf(workload, 0, odd));
      expect(sameCacheKey(a, keyed(podOf(workload, 1, odd)))).toBe(false);
    }
  });

  test('metadata, spec and labels that are not mappings', () => {
    const workload = workloads[0]![1];
    const shapes: unknown[] = ['text', ['a'], null, 7, { 0: 't', 1: 'e' }];
    for (const field of ['metadata', 'spec', 'labels'] as const) {
      for (const x of shapes) {
        for (const y of shapes) {
          const a = podOf(workload, 0, 'kube-api-access-b2c4d');
          const b = podOf(workload, 1, 'kube-api-access-x9z7q');
          if (field === 'labels') {
            (a.metadata as Record<string, unknown>).labels = x;
            (b.metadata as Record<string, unknown>).labels = y;
          } else {
            (a as Record<string, unknown>)[field] = x;
            (b as Record<string, unknown>)[field] = y;
          }
          expectSound(
            keyed(a),
            keyed(b),
            `${field}: ${JSON.stringify(x)} and ${JSON.stringify(y)}`,
          );
        }
        const a = podOf(workload, 0, 'kube-api-access-b2c4d');
        delete (a as Record<string, unknown>)[field === 'labels' ? 'kind' : field];
        expectSound(keyed(a), keyed(podOf(workload, 1, 'kube-api-access-b2c4d')), `no ${field}`);
      }
    }
  });
});

function annotate(pod: KubeObject, name: string, value: string): void {
  const metadata = pod.metadata as { annotations?: Record<string, string> };
  metadata.annotations = { ...metadata.annotations, [name]: value };
}

/** One random change somewhere in the pod: a value, a field's name, an order, a field more or less. */
function vary(
  pod: KubeObject,
  random: () => number,
  pick: <T>(items: readonly T[]) => T,
  tokens: string[],
): void {
  const containers: Record<string, unknown>[] = [];
  collect(pod, containers);
  const target = pick(containers);
  const keys = Object.keys(target);
  const values: unknown[] = [
    'x',
    ...tokens,
    `a"${tokens[0]}`,
    `${tokens[1]}`,
    'kube-api-access-other',
    0,
    -0,
    1,
    Infinity,
    null,
    true,
    [],
    {},
    '\u0000token-volume\u0000',
  ];
  const kind = Math.floor(random() * 6);
  if (kind === 0 || keys.length === 0) {
    target[pick([...keys, 'added', tokens[0] as string])] = pick(values);
  } else if (kind === 1) {
    delete target[pick(keys)];
  } else if (kind === 2) {
    // Reordered: the same fields, written in another order.
    const entries = Object.entries(target).reverse();
    for (const key of keys) delete target[key];
    for (const [key, value] of entries) target[key] = value;
  } else if (kind === 3) {
    // A field renamed in place.
    const renamed = pick(keys);
    const newName = pick(['x', ...tokens, 'name', 'hostname']);
    const entries = Object.entries(target);
    for (const key of keys) delete target[key];
    for (const [key, value] of entries) target[key === renamed ? newName : key] = value;
  } else if (kind === 4) {
    // What pods of one StatefulSet differ in anyway.
    const metadata = pod.metadata as Record<string, unknown>;
    metadata[pick(['name', 'uid', 'generateName', 'resourceVersion'])] = `p-${random()}`;
    (pod.spec as Record<string, unknown>).hostname = `h-${random()}`;
  } else {
    target[pick(keys)] = pick(values);
  }
}

/** Every mapping inside a value. */
function collect(value: unknown, into: Record<string, unknown>[]): void {
  if (value === null || typeof value !== 'object') return;
  if (!Array.isArray(value)) into.push(value as Record<string, unknown>);
  for (const child of Object.values(value)) collect(child, into);
}
