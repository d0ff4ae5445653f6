import pino from 'pino';
import request from 'supertest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../src/core/k8s-types';
import { createApp } from '../../../src/server/app';
import { mutationApp } from '../../support/app';
import { sharedDir } from '../../support/paths';
import { admissionReview, podFromStatefulSet } from '../../support/pods';

const render = parseAllDocuments(
  readFileSync(
    path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
    'utf8',
  ),
).map((d) => d.toJS() as KubeObject);
const brokerSts = render.find(
  (o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka',
) as KubeObject;
const brokerPod = podFromStatefulSet(brokerSts, 0);
const plainPod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default' },
  spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
};

interface Review {
  apiVersion: string;
  response: {
    uid: string;
    allowed: boolean;
    patch?: string;
    patchType?: string;
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  };
}

describe('POST /mutate', () => {
  const { app, metrics } = mutationApp();

  test('given a broker pod, answers with the uid and a base64 JSONPatch', async () => {
    const res = await request(app)
      .post('/mutate')
      .send(admissionReview(brokerPod, { uid: 'u-1' }))
      .expect(200);
    const review = res.body as Review;
    expect(review.apiVersion).toBe('admission.k8s.io/v1');
    expect(review.response.uid).toBe('u-1');
    expect(review.response.patchType).toBe('JSONPatch');
    const ops = JSON.parse(
      Buffer.from(review.response.patch ?? '', 'base64').toString(),
    ) as unknown[];
    expect(ops.length).toBeGreaterThan(0);
  });

  test('given a v1beta1 review, answers in v1beta1', async () => {
    const res = await request(app)
      .post('/mutate')
      .send(admissionReview(brokerPod, { apiVersion: 'admission.k8s.io/v1beta1' }))
      .expect(200);
    expect((res.body as Review).apiVersion).toBe('admission.k8s.io/v1beta1');
  });

  test('given a pod that is not Kafka, allows without a patch field', async () => {
    const res = await request(app).post('/mutate').send(admissionReview(plainPod)).expect(200);
    expect((res.body as Review).response).toEqual({
      uid: 'e911857d-c318-11e8-bbad-025000000001',
      allowed: true,
    });
  });

  test('given a DELETE, never patches', async () => {
    const res = await request(app)
      .post('/mutate')
      .send(admissionReview(undefined, { operation: 'DELETE', oldObject: brokerPod }))
      .expect(200);
    expect((res.body as Review).response.patch).toBeUndefined();
  });

  test('given a dry run, answers the same patch (mutation has no side effects)', async () => {
    const wet = await request(app).post('/mutate').send(admissionReview(brokerPod)).expect(200);
    const dry = await request(app)
      .post('/mutate')
      .send(admissionReview(brokerPod, { dryRun: true }))
      .expect(200);
    expect((dry.body as Review).response.patch).toBe((wet.body as Review).response.patch);
  });

  test('given a broker whose command cannot be extended, admits it unchanged with a warning (fails open)', async () => {
    const odd = structuredClone(brokerPod);
    (odd.spec as { containers: { name: string; command?: string[] }[] }).containers[1]!.command = [
      '/opt/start',
    ];
    const res = await request(app).post('/mutate').send(admissionReview(odd)).expect(200);
    const review = res.body as Review;
    expect(review.response.allowed).toBe(true);
    expect(review.response.patch).toBeUndefined();
    expect(review.response.warnings?.[0]).toContain('kafka-warden did not inject');
    expect(review.response.auditAnnotations).toEqual({ 'injection-skipped': 'KW_BROKER_COMMAND' });
  });

  test('given a broker pod with a "__proto__" field, injects as without it and leaves the field alone', async () => {
    // The copy the transformation edits had the field turned into its prototype, so the patch
    // removed it, and applying that patch (banned for __proto__) made the answer a 500.
    const withField = structuredClone(brokerPod);
    const body = JSON.stringify(admissionReview(withField)).replace(
      '"metadata":{',
      '"metadata":{"__proto__":{"polluted":true},',
    );
    const res = await request(app)
      .post('/mutate')
      .set('content-type', 'application/json')
      .send(body)
      .expect(200);
    const plain = await request(app).post('/mutate').send(admissionReview(brokerPod)).expect(200);
    expect((res.body as Review).response.patch).toBe((plain.body as Review).response.patch);
  });

  test('given a broker pod whose env is not a list, admits it unchanged with a warning naming the field (fails open)', async () => {
    // No API server sends this; a client that reaches the port can. It was a 500.
    const odd = structuredClone(brokerPod);
    (odd.spec as { containers: { env?: unknown }[] }).containers[1]!.env = { KAFKA_OPTS: 'x' };
    const res = await request(app).post('/mutate').send(admissionReview(odd)).expect(200);
    const review = res.body as Review;
    expect(review.response.allowed).toBe(true);
    expect(review.response.patch).toBeUndefined();
    expect(review.response.warnings?.[0]).toContain('spec.containers[1].env must be a list');
    expect(review.response.auditAnnotations).toEqual({ 'injection-skipped': 'KW_INPUT_FIELD' });
  });

  test('counts requests by webhook, operation and result', async () => {
    await request(app).post('/mutate').send(admissionReview(brokerPod)).expect(200);
    const res = await request(app).get('/metrics').expect(200);
    expect(res.text).toMatch(
      /kafka_warden_admission_requests_total\{webhook="mutate",operation="CREATE",result="injected"\} \d+/,
    );
    expect(res.text).toContain('kafka_warden_admission_duration_seconds_bucket');
    expect(metrics.registry.contentType).toContain('text/plain');
  });
});

const NESTING_PLACES: [where: string, place: (deep: string) => string][] = [
  ['request.kind', (deep) => `{"kind":${deep}}`],
  ['kind', (deep) => deep],
  ['request.object', (deep) => `{"kind":"Pod","metadata":${deep}}`],
];

/** The malformed inputs tried, and the answer each must get. */
describe('malformed requests', () => {
  const { app } = mutationApp();
  test.each<[string, () => request.Test, number, string]>([
    [
      'a text/plain body',
      () => request(app).post('/mutate').set('content-type', 'text/plain').send('hello'),
      415,
      'content type must be application/json',
    ],
    [
      'no content type',
      () => request(app).post('/mutate').send(Buffer.from('{}')),
      415,
      'content type',
    ],
    [
      'invalid JSON',
      () => request(app).post('/mutate').set('content-type', 'application/json').send('{"kind":'),
      400,
      'not valid JSON',
    ],
    [
      'a JSON array',
      () => request(app).post('/mutate').send([1, 2]),
      400,
      'body is not a JSON object',
    ],
    [
      'another kind',
      () => request(app).post('/mutate').send({ kind: 'Pod', apiVersion: 'v1' }),
      400,
      'kind must be "AdmissionReview"',
    ],
    [
      'an unknown apiVersion',
      () =>
        request(app)
          .post('/validate')
          .send({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v2' }),
      400,
      'apiVersion must be',
    ],
    [
      'no request',
      () =>
        request(app)
          .post('/mutate')
          .send({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }),
      400,
      'request is missing',
    ],
    [
      'no uid',
      () =>
        request(app)
          .post('/mutate')
          .send({
            ...admissionReview(plainPod),
            request: { ...admissionReview(plainPod).request, uid: '' },
          }),
      400,
      'request.uid is missing',
    ],
    [
      'an unknown operation',
      () =>
        request(app)
          .post('/mutate')
          .send({
            ...admissionReview(plainPod),
            request: { ...admissionReview(plainPod).request, operation: 'PATCH' },
          }),
      400,
      'request.operation',
    ],
    [
      'an object that is a string',
      () =>
        request(app)
          .post('/mutate')
          .send({
            ...admissionReview(plainPod),
            request: { ...admissionReview(plainPod).request, object: 'x' },
          }),
      400,
      'request.object is not an object',
    ],
    [
      'a body over 3 MiB',
      () =>
        request(app)
          .post('/mutate')
          .set('content-type', 'application/json')
          .send(`{"pad":"${'x'.repeat(3 * 1024 * 1024)}"}`),
      413,
      'body larger than',
    ],
    ['GET on /mutate', () => request(app).get('/mutate'), 404, 'not found'],
    ...(['/mutate', '/validate'] as const).flatMap((route) =>
      NESTING_PLACES.map(([where, place]): [string, () => request.Test, number, string] => [
        `${route}: ${where} nested 5,000 levels deep`,
        () =>
          request(app)
            .post(route)
            .set('content-type', 'application/json')
            .send(deeplyNestedReview(where, place)),
        400,
        'nests deeper than 100 levels',
      ]),
    ),
    [
      'a 100 KB kind, quoted in the error but cut',
      () =>
        request(app)
          .post('/mutate')
          .send({ kind: 'x'.repeat(100_000), apiVersion: 'admission.k8s.io/v1' }),
      400,
      'kind must be "AdmissionReview", got "xxxx',
    ],
  ])('%s: a 4xx with a JSON error naming the problem', async (_n, send, status, message) => {
    const res = await send().expect(status);
    const error = (res.body as { error: string }).error;
    expect(error).toContain(message);
    expect(error.length).toBeLessThan(400);
  });
});

/** A review with `place(deep)` where `where` names, `deep` being 5,000 nested mappings (~50 KB). */
function deeplyNestedReview(where: string, place: (deep: string) => string): string {
  const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
  const review = admissionReview(plainPod);
  const parts = where.split('.');
  const text = JSON.stringify({
    ...review,
    ...(where === 'kind' ? { kind: '@@' } : {}),
    request: {
      ...review.request,
      ...(parts[1] === 'kind' ? { kind: '@@' } : {}),
      ...(parts[1] === 'object' ? { object: '@@' } : {}),
    },
  });
  return text.replace('"@@"', place(deep));
}

describe('a request that makes deciding throw', () => {
  test('gets a 500 for itself, and the server goes on answering', async () => {
    let calls = 0;
    const { app } = mutationApp(undefined, () => {
      calls += 1;
      if (calls === 1) throw new RangeError('Maximum call stack size exceeded');
      return { allowed: true, result: 'allowed', findings: [] };
    });
    const review = admissionReview(plainPod);
    const failed = await request(app).post('/validate').send(review).expect(500);
    expect((failed.body as { error: string }).error).toContain('internal error');
    await request(app).post('/validate').send(review).expect(200);
    await request(app).get('/healthz').expect(200);
  });
});

describe('health', () => {
  test('/healthz and /readyz answer 200 when ready', async () => {
    const { app } = mutationApp();
    await request(app).get('/healthz').expect(200, 'ok');
    await request(app).get('/readyz').expect(200, 'ready');
  });
});

describe('the admission log line', () => {
  test('cuts identifying fields a client chose: a 100 KB uid and name log a line under 2 KB', async () => {
    const lines: string[] = [];
    const { deps } = mutationApp();
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const app = createApp({ ...deps, logger });
    const huge = 'u'.repeat(100_000);
    const review = admissionReview({
      ...plainPod,
      metadata: { ...plainPod.metadata, name: 'n'.repeat(100_000) },
    });
    await request(app)
      .post('/mutate')
      .send({ ...review, request: { ...review.request, uid: huge } })
      .expect(200);
    const line = lines.find((l) => l.includes('"admission"'));
    expect(line).toBeDefined();
    expect(line?.length).toBeLessThan(2048);
  });
});
