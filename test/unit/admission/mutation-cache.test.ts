import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyPatch, type Operation } from 'fast-json-patch';
import { parseAllDocuments } from 'yaml';
import { mutate } from '../../../src/admission/mutate';
import { MUTATION_CACHE_LIMITS, MutationCache } from '../../../src/admission/mutation-cache';
import { answerBytes } from '../../../src/admission/answer-bytes';
import { parseReview } from '../../../src/admission/review';
import { resolveConfig } from '../../../src/core/config';
import type { KubeObject } from '../../../src/core/k8s-types';
import { sharedDir } from '../../support/paths';
import { admissionReview, podFromStatefulSet } from '../../support/pods';

const sts = parseAllDocuments(
  readFileSync(
    path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
    'utf8',
  ),
)
  .map((d) => d.toJS() as KubeObject)
  .find((o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka') as KubeObject;
const options = { config: resolveConfig(), mutateStatefulSets: false };
// mutate() applies its patch to the request object in place (it proves the patch applies), so
// every request gets its own copy.
const requestFor = (pod: KubeObject) => parseReview(admissionReview(structuredClone(pod)));

/** The pod as the API server stores it after applying an answer's patch. */
function patchedCopy(pod: KubeObject, patch: readonly unknown[] | undefined): KubeObject {
  return applyPatch(structuredClone(pod), patch as Operation[], true, false).newDocument;
}

/** The patch as it goes over the wire: decoded from the serialised AdmissionReview answer. */
function patchSent(result: ReturnType<MutationCache['mutate']>): unknown {
  const text = answerBytes({ apiVersion: 'admission.k8s.io/v1', uid: 'u' }, result).text;
  const { response } = JSON.parse(text) as { response: { patch: string } };
  return JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
}

/** What the API server's ServiceAccount admission adds to a pod before the webhooks see it. */
function withServiceAccountToken(pod: KubeObject, volume: string): KubeObject {
  const spec = pod.spec as {
    volumes?: unknown[];
    containers: { volumeMounts?: unknown[] }[];
  };
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name: volume,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        ],
      },
    },
  ];
  for (const container of spec.containers) {
    container.volumeMounts = [
      ...(container.volumeMounts ?? []),
      { name: volume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ];
  }
  return pod;
}

describe('the mutation cache', () => {
  test('pods of one StatefulSet share one entry, and the shared patch is exactly what each pod would get', () => {
    const cache = new MutationCache();
    const pods = [0, 1, 2].map((i) => podFromStatefulSet(sts, i));
    const results = pods.map((pod) => cache.mutate(requestFor(structuredClone(pod)), options));
    expect(cache.size).toBe(1);
    pods.forEach((pod, i) => {
      const uncached = mutate(requestFor(structuredClone(pod)), options);
      expect(results[i]?.patch).toEqual(uncached.patch);
      expect(patchSent(results[i]!)).toEqual(uncached.patch);
      expect(patchedCopy(pod, results[i]?.patch).metadata?.name).toBe(`my-cp-cp-kafka-${i}`);
    });
  });

  test('a pod that differs in anything the transformation reads gets its own answer', () => {
    const cache = new MutationCache();
    const pod = podFromStatefulSet(sts, 0);
    const other = structuredClone(pod);
    (
      other.spec as { containers: { env: { name: string; value?: string }[] }[] }
    ).containers[1]!.env.push({ name: 'KAFKA_LOG_RETENTION_HOURS', value: '1' });
    cache.mutate(requestFor(pod), options);
    const result = cache.mutate(requestFor(other), options);
    expect(cache.size).toBe(2);
    expect(result.patch).toEqual(mutate(requestFor(other), options).patch);
  });

  test('pods whose ServiceAccount token volumes have different random names share one entry', () => {
    const cache = new MutationCache();
    const pods = ['x7k2p', 'q9zrt', 'm4bwd'].map((suffix, i) =>
      withServiceAccountToken(podFromStatefulSet(sts, i), `kube-api-access-${suffix}`),
    );
    const results = pods.map((pod) => cache.mutate(requestFor(pod), options));
    expect(cache.size).toBe(1);
    expect(results[0]?.result).toBe('injected');
    pods.forEach((pod, i) => {
      const uncached = mutate(requestFor(pod), options);
      expect(results[i]?.patch).toEqual(uncached.patch);
      expect(patchSent(results[i]!)).toEqual(uncached.patch);
      const patched = patchedCopy(pod, results[i]?.patch);
      // Every container, kafka-warden's init container included, mounts this pod's own token
      // volume, and only that one.
      const spec = patched.spec as Record<
        'containers' | 'initContainers',
        { volumeMounts?: { name: string }[] }[]
      >;
      expect(spec.initContainers).toHaveLength(1);
      for (const container of [...spec.containers, ...spec.initContainers]) {
        expect(
          container.volumeMounts?.filter((m) => m.name.startsWith('kube-api-access-')),
        ).toEqual([
          expect.objectContaining({ name: `kube-api-access-${['x7k2p', 'q9zrt', 'm4bwd'][i]}` }),
        ]);
      }
    });
  });

  test('an answer that names the token volume is never shared with another pod', () => {
    const cache = new MutationCache();
    const named = (suffix: string) => {
      const pod = withServiceAccountToken(podFromStatefulSet(sts, 0), `kube-api-access-${suffix}`);
      // The injection rewrites the start command and records the one it replaced: the patch then
      // carries the volume's name.
      const broker = (pod.spec as { containers: { command: string[] }[] }).containers[1]!;
      broker.command[2] = `echo kube-api-access-${suffix} && ${broker.command[2]}`;
      return pod;
    };
    const first = cache.mutate(requestFor(named('x7k2p')), options);
    expect(JSON.stringify(first.patch)).toContain('kube-api-access-x7k2p');
    const second = cache.mutate(requestFor(named('q9zrt')), options);
    expect(cache.size).toBe(0);
    expect(JSON.stringify(second.patch)).toContain('kube-api-access-q9zrt');
    expect(JSON.stringify(second.patch)).not.toContain('kube-api-access-x7k2p');
  });

  test('pods another kind owns are answered one by one (the cluster is named after the pod)', () => {
    const cache = new MutationCache();
    const pods = ['my-kafka-7d9f8-abcde', 'other-kafka-7d9f8-fghij'].map((name) => {
      const pod = podFromStatefulSet(sts, 0);
      const meta = pod.metadata as NonNullable<KubeObject['metadata']>;
      meta.name = name;
      meta.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u' }];
      delete (pod.spec as { subdomain?: string }).subdomain;
      return pod;
    });
    const results = pods.map((pod) => cache.mutate(requestFor(pod), options));
    expect(cache.size).toBe(0);
    pods.forEach((pod, i) =>
      expect(results[i]?.patch).toEqual(mutate(requestFor(pod), options).patch),
    );
    expect(results[0]?.patch).not.toEqual(results[1]?.patch);
  });

  const variant = (n: number, padding = '') => {
    const pod = podFromStatefulSet(sts, 0);
    (pod.metadata ??= {}).annotations = {
      ...pod.metadata.annotations,
      variant: String(n) + padding,
    };
    return pod;
  };

  test('is bounded in entries: the least recently used entry goes first', () => {
    const cache = new MutationCache({ ...MUTATION_CACHE_LIMITS, entries: 2 });
    [1, 2, 3].forEach((n) => cache.mutate(requestFor(variant(n)), options));
    expect(cache.size).toBe(2);
  });

  test('is bounded in bytes: big pods push out old entries, and one too big is answered but not kept', () => {
    const cache = new MutationCache({ entries: 256, bytes: 400_000, entryBytes: 150_000 });
    const padding = 'x'.repeat(100_000);
    const answers = [1, 2, 3, 4, 5].map((n) =>
      cache.mutate(requestFor(variant(n, padding)), options),
    );
    expect(cache.bytes).toBeLessThanOrEqual(400_000);
    expect(cache.size).toBeLessThan(5);
    expect(cache.size).toBeGreaterThan(0);
    for (const answer of answers) expect(answer.patch?.length).toBeGreaterThan(0);

    const huge = requestFor(variant(6, 'y'.repeat(200_000)));
    const sizeBefore = cache.size;
    const answer = cache.mutate(huge, options);
    expect(answer.patch?.length).toBeGreaterThan(0);
    expect(cache.size).toBe(sizeBefore);
  });

  test('with the default limits, 256 pods carrying 1 MB values keep the cache under its byte budget', () => {
    const cache = new MutationCache();
    const megabyte = 'z'.repeat(1024 * 1024);
    for (let n = 0; n < 256; n++) cache.mutate(requestFor(variant(n, megabyte)), options);
    expect(cache.bytes).toBeLessThanOrEqual(MUTATION_CACHE_LIMITS.bytes);
    expect(cache.size).toBe(0);
  });

  test('a broker it cannot inject into is answered per pod (its warning names the pod)', () => {
    const cache = new MutationCache();
    const odd = podFromStatefulSet(sts, 0);
    (odd.spec as { containers: { command?: string[] }[] }).containers[1]!.command = ['/opt/start'];
    const result = cache.mutate(requestFor(odd), options);
    expect(result.result).toBe('failed-open');
    expect(cache.size).toBe(0);
  });

  test.each<[string, unknown]>([
    ['a mapping', { kind: 'StatefulSet', name: 'my-cp-cp-kafka' }],
    ['a string', 'my-cp-cp-kafka'],
    ['a list holding null', [null, { kind: 'StatefulSet', name: 'my-cp-cp-kafka' }]],
  ])(
    'ownerReferences that are %s (no API server sends them; any client can): answered, not thrown',
    (_name, owners) => {
      const pod = podFromStatefulSet(sts, 0);
      (pod.metadata as Record<string, unknown>).ownerReferences = owners;
      expect(new MutationCache().mutate(requestFor(pod), options).allowed).toBe(true);
    },
  );

  test.each<[string, unknown]>([
    ['a mapping', { 'kube-api-access-x': {} }],
    ['a list with an entry without a name', [{ emptyDir: {} }]],
    ['a list with a name that is a number', [{ name: 7 }]],
    ['a list holding null', [null]],
  ])(
    'volumes that are %s: fails open with a warning naming the field, not a throw',
    (_name, volumes) => {
      const pod = podFromStatefulSet(sts, 0);
      (pod.spec as Record<string, unknown>).volumes = volumes;
      const result = new MutationCache().mutate(requestFor(pod), options);
      expect(result.result).toBe('failed-open');
      expect(result.warnings?.[0]).toContain('spec.volumes');
    },
  );

  test('labels that are a 1 MB string cost no more than the string: answered within a second', () => {
    const pod = podFromStatefulSet(sts, 0);
    (pod.metadata as Record<string, unknown>).labels = 'l'.repeat(1024 * 1024);
    const started = performance.now();
    expect(new MutationCache().mutate(requestFor(pod), options).allowed).toBe(true);
    // The key split the string into a million label entries: ~2 s and ~250 MB in serve.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
