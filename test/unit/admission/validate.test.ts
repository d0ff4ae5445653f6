import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { validate } from '../../../src/admission/validate';
import type { KubeObject } from '../../../src/core/k8s-types';
import { evaluate } from '../../../src/policy/engine';
import { PolicyStore } from '../../../src/server/policy-store';
import { mutationApp } from '../../support/app';
import { sharedDir } from '../../support/paths';
import { admissionReview } from '../../support/pods';

const statefulSet = (valueSet: string, version = '0.6.1') =>
  parseAllDocuments(
    readFileSync(
      path.join(sharedDir(), 'cp-helm-charts', 'rendered', version, `${valueSet}.yaml`),
      'utf8',
    ),
  )
    .map((d) => d.toJS() as KubeObject)
    .find((o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka') as KubeObject;

interface Review {
  response: {
    allowed: boolean;
    status?: { code: number; message: string };
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  };
}

function appWithPolicy(store: () => Parameters<typeof evaluate>[1]) {
  return mutationApp(undefined, (r) => validate(r, (pr) => evaluate(pr, store())));
}

describe('POST /validate with the default policy', () => {
  const { app, metrics } = appWithPolicy(() => ({}));

  test('given the stock StatefulSet on CREATE, allows', async () => {
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(statefulSet('default')))
      .expect(200);
    expect((res.body as Review).response.allowed).toBe(true);
  });

  test('given Parallel on CREATE, denies with 403 naming the rule and the remedy', async () => {
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(statefulSet('parallel')))
      .expect(200);
    const review = res.body as Review;
    expect(review.response.allowed).toBe(false);
    expect(review.response.status?.code).toBe(403);
    expect(review.response.status?.message).toContain('[ordered-ready]');
    expect(review.response.status?.message).toContain('OrderedReady');
  });

  test('given 3 → 5 brokers without a plan or acknowledgement, denies', async () => {
    const res = await request(app)
      .post('/validate')
      .send(
        admissionReview(statefulSet('brokers5'), {
          operation: 'UPDATE',
          oldObject: statefulSet('default'),
        }),
      )
      .expect(200);
    expect((res.body as Review).response.status?.message).toContain('[broker-scaling]');
  });

  test('given a DELETE of a broker StatefulSet without a reason, denies; with one, allows', async () => {
    const old = statefulSet('default');
    const denied = await request(app)
      .post('/validate')
      .send(admissionReview(undefined, { operation: 'DELETE', oldObject: old }))
      .expect(200);
    expect((denied.body as Review).response.allowed).toBe(false);
    const annotated = structuredClone(old);
    (annotated.metadata ??= {}).annotations = {
      'kafka-warden.io/deletion-reason': 'moving to a new cluster',
    };
    const allowed = await request(app)
      .post('/validate')
      .send(admissionReview(undefined, { operation: 'DELETE', oldObject: annotated }))
      .expect(200);
    expect((allowed.body as Review).response.allowed).toBe(true);
  });

  test('counts denials by rule', async () => {
    await request(app)
      .post('/validate')
      .send(admissionReview(statefulSet('ondelete')))
      .expect(200);
    const text = (await request(app).get('/metrics')).text;
    expect(text).toMatch(
      /kafka_warden_policy_findings_total\{rule="update-strategy",mode="enforce"\} \d+/,
    );
    expect(text).toMatch(
      /kafka_warden_admission_requests_total\{webhook="validate",operation="CREATE",result="denied"\} \d+/,
    );
    expect(metrics.registry).toBeDefined();
  });
});

describe('the policy file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-policy-'));
  const file = path.join(dir, 'policy.yaml');
  const logger = pino({ level: 'silent' });

  test('warn mode turns a denial into an admission warning', async () => {
    writeFileSync(file, 'rules:\n  ordered-ready:\n    mode: warn\n');
    const store = new PolicyStore(file, logger);
    const { app } = appWithPolicy(() => ({ policy: store.policy }));
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(statefulSet('parallel')))
      .expect(200);
    const review = res.body as Review;
    expect(review.response.allowed).toBe(true);
    expect(review.response.warnings?.join(' ')).toContain('ordered-ready');
  });

  test('an invalid policy is refused at start-up with the field named', () => {
    writeFileSync(file, 'rules:\n  ordered-ready:\n    mode: sometimes\n');
    expect(() => new PolicyStore(file, logger)).toThrow(/ordered-ready/);
  });

  test('a reloaded policy applies to the next request; an invalid reload keeps the last valid one', async () => {
    writeFileSync(file, 'rules:\n  ordered-ready:\n    mode: enforce\n');
    const store = new PolicyStore(file, logger);
    const stop = store.watch(20);
    const { app } = appWithPolicy(() => ({ policy: store.policy }));
    const send = async () =>
      (
        (
          await request(app)
            .post('/validate')
            .send(admissionReview(statefulSet('parallel')))
        ).body as Review
      ).response.allowed;
    expect(await send()).toBe(false);
    writeFileSync(file, 'rules:\n  ordered-ready:\n    mode: audit\n');
    await waitFor(async () => (await send()) === true);
    writeFileSync(file, 'rules: [this is not a policy\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(await send()).toBe(true);
    stop();
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
