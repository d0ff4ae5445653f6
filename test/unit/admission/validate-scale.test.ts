/**
 * `kubectl scale` sends a Scale to statefulsets/scale, never the StatefulSet: the validating webhook
 * reads the StatefulSet and judges the replica change as the UPDATE it amounts to.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import type { StatefulSetSource } from '../../../src/admission/scale';
import { validate } from '../../../src/admission/validate';
import type { KubeObject } from '../../../src/core/k8s-types';
import { evaluate } from '../../../src/policy/engine';
import { mutationApp } from '../../support/app';
import { sharedDir } from '../../support/paths';

const render = parseAllDocuments(
  readFileSync(
    path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
    'utf8',
  ),
).map((d) => d.toJS() as KubeObject);
const brokers = render.find(
  (o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka',
) as KubeObject;

/** A StatefulSet that is neither Kafka nor ZooKeeper. */
const webServers: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 3,
    serviceName: 'web',
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
    },
  },
};

function scaleReview(
  name: string,
  from: number,
  to: number,
  dryRun = false,
  annotations: Record<string, string> = {},
) {
  const scale = (replicas: number) => ({
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace: 'default', annotations },
    spec: { replicas },
    status: { replicas: from },
  });
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'scale-uid',
      kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      resource: { group: 'apps', version: 'v1', resource: 'statefulsets' },
      subResource: 'scale',
      name,
      namespace: 'default',
      operation: 'UPDATE',
      userInfo: { username: 'alice' },
      object: scale(to),
      oldObject: scale(from),
      dryRun,
    },
  };
}

function sourceOf(...objects: KubeObject[]): StatefulSetSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readStatefulSet(namespace, name) {
      reads.push(`${namespace}/${name}`);
      return Promise.resolve(
        objects.find(
          (o) => o.metadata?.name === name && (o.metadata?.namespace ?? 'default') === namespace,
        ),
      );
    },
  };
}

interface Review {
  response: { allowed: boolean; status?: { code: number; message: string }; warnings?: string[] };
}

function appWith(source: StatefulSetSource | undefined) {
  return mutationApp(undefined, (r) =>
    validate(r, (pr) => evaluate(pr), source ? { statefulSets: source } : {}),
  ).app;
}

describe('statefulsets/scale requests (kubectl scale)', () => {
  test('given a broker scale-down 3 → 2 with no plan, denies with broker-scaling, naming the StatefulSet', async () => {
    const source = sourceOf({
      ...brokers,
      metadata: { ...brokers.metadata, namespace: 'default' },
    });
    const res = await request(appWith(source))
      .post('/validate')
      .send(scaleReview('my-cp-cp-kafka', 3, 2))
      .expect(200);
    const review = res.body as Review;
    expect(source.reads).toEqual(['default/my-cp-cp-kafka']);
    expect(review.response.allowed).toBe(false);
    expect(review.response.status?.code).toBe(403);
    expect(review.response.status?.message).toContain(
      'StatefulSet default/my-cp-cp-kafka (through its scale subresource)',
    );
    expect(review.response.status?.message).toContain('[broker-scaling]');
    expect(review.response.status?.message).toContain('from 3 to 2');
  });

  test('given a dry-run scale-down, judges it the same way', async () => {
    const res = await request(appWith(sourceOf(brokers)))
      .post('/validate')
      .send(scaleReview('my-cp-cp-kafka', 3, 2, true))
      .expect(200);
    expect((res.body as Review).response.allowed).toBe(false);
  });

  test('given a plan on the StatefulSet that empties broker 2, broker-scaling passes and the other rules judge the new count', async () => {
    const plan = {
      version: 1,
      partitions: [{ topic: 'orders', partition: 0, replicas: [0, 1] }],
    };
    const annotated = {
      ...brokers,
      metadata: {
        ...brokers.metadata,
        annotations: { 'kafka-warden.io/reassignment-plan': JSON.stringify(plan) },
      },
    };
    const res = await request(appWith(sourceOf(annotated)))
      .post('/validate')
      .send(scaleReview('my-cp-cp-kafka', 3, 2))
      .expect(200);
    const message = (res.body as Review).response.status?.message ?? '';
    expect(message).not.toContain('[broker-scaling]');
    // The chart's offsets topic factor of 3 no longer fits 2 brokers: judged on the translated object.
    expect(message).toContain('[config-sanity]');
  });

  test('given an acknowledged scale-up 3 → 4, allows', async () => {
    const acknowledged = {
      ...brokers,
      metadata: {
        ...brokers.metadata,
        annotations: { 'kafka-warden.io/scale-up-acknowledged': 'new brokers for new topics' },
      },
    };
    const res = await request(appWith(sourceOf(acknowledged)))
      .post('/validate')
      .send(scaleReview('my-cp-cp-kafka', 3, 4))
      .expect(200);
    expect((res.body as Review).response.allowed).toBe(true);
  });

  test('given an exemption on the StatefulSet as stored, allows the scale-down and audits it', async () => {
    const exempt = {
      ...brokers,
      metadata: {
        ...brokers.metadata,
        annotations: { 'kafka-warden.io/exempt-broker-scaling': 'CHG-7: drained by hand' },
      },
    };
    const res = await request(appWith(sourceOf(exempt)))
      .post('/validate')
      .send(scaleReview('my-cp-cp-kafka', 3, 2))
      .expect(200);
    const review = res.body as Review & {
      response: { auditAnnotations?: Record<string, string> };
    };
    expect(review.response.status?.message ?? '').not.toContain('[broker-scaling]');
    expect(Object.keys(review.response.auditAnnotations ?? {})).toContain('broker-scaling');
  });

  test('given an exemption written into the Scale itself, ignores it: only the StatefulSet counts', async () => {
    const res = await request(appWith(sourceOf(brokers)))
      .post('/validate')
      .send(
        scaleReview('my-cp-cp-kafka', 3, 2, false, {
          'kafka-warden.io/exempt-broker-scaling': 'trust me',
        }),
      )
      .expect(200);
    expect((res.body as Review).response.status?.message).toContain('[broker-scaling]');
  });

  test('given an unchanged count (a Scale that only touches metadata), allows', async () => {
    const res = await request(appWith(sourceOf(brokers)))
      .post('/validate')
      .send(scaleReview('my-cp-cp-kafka', 3, 3))
      .expect(200);
    expect((res.body as Review).response.allowed).toBe(true);
  });

  test('given a StatefulSet that is neither Kafka nor ZooKeeper, allows any scale', async () => {
    const res = await request(appWith(sourceOf(webServers)))
      .post('/validate')
      .send(scaleReview('web', 3, 0))
      .expect(200);
    expect((res.body as Review).response.allowed).toBe(true);
  });

  test('given a StatefulSet that does not exist, allows (the API server answers 404 itself)', async () => {
    const res = await request(appWith(sourceOf()))
      .post('/validate')
      .send(scaleReview('gone', 3, 1))
      .expect(200);
    expect((res.body as Review).response.allowed).toBe(true);
  });

  test('given no way to read StatefulSets (serve --no-kube), allows unjudged', async () => {
    const res = await request(appWith(undefined))
      .post('/validate')
      .send(scaleReview('my-cp-cp-kafka', 3, 2))
      .expect(200);
    expect((res.body as Review).response.allowed).toBe(true);
  });

  test('given a StatefulSet read that fails, answers 500 so the failurePolicy decides', async () => {
    const failing: StatefulSetSource = {
      readStatefulSet: () => Promise.reject(new Error('connection refused')),
    };
    const res = await request(appWith(failing))
      .post('/validate')
      .send(scaleReview('my-cp-cp-kafka', 3, 2))
      .expect(500);
    expect((res.body as { error: string }).error).toContain('scale-uid');
  });

  test('given a StatefulSet read that outlives its deadline, answers 500 instead of hanging', async () => {
    const hanging: StatefulSetSource = {
      readStatefulSet: (_ns, _name, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted: deadline passed'))),
        ),
    };
    const started = Date.now();
    await request(appWith(hanging))
      .post('/validate')
      .send(scaleReview('my-cp-cp-kafka', 3, 2))
      .expect(500);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
