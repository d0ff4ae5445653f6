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
import { REPO_ROOT, sharedDir } from '../../support/paths';
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

describe('POST /validate, given a broker StatefulSet UPDATE that migrates listeners', () => {
  const { app, metrics } = appWithPolicy(() => ({}));
  /** The broker StatefulSet as kafka-warden renders the default render with this configuration. */
  const rendered = (config = 'default') =>
    parseAllDocuments(
      readFileSync(
        path.join(REPO_ROOT, 'test', 'golden', 'expected', '0.6.1', `${config}.yaml`),
        'utf8',
      ),
    )
      .map((d) => d.toJS() as KubeObject)
      .find((o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka') as KubeObject;
  const send = async (oldObject: KubeObject, object: KubeObject) =>
    (
      (
        await request(app)
          .post('/validate')
          .send(admissionReview(object, { operation: 'UPDATE', oldObject }))
          .expect(200)
      ).body as Review
    ).response;

  test('stock → TLS replicated over in the same roll: 403 naming the rule and both rolls', async () => {
    const response = await send(statefulSet('default'), rendered());
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(403);
    const message = response.status?.message ?? '';
    expect(message).toMatch(
      /^\[listener-migration\] StatefulSet\/my-cp-cp-kafka changes the listener brokers replicate over from PLAINTEXT to SSL in one roll/m,
    );
    expect(message).toContain('tls.interBrokerListener: PLAINTEXT');
    expect(message).toContain('(2) this change as it is');
    const text = (await request(app).get('/metrics')).text;
    expect(text).toMatch(
      /kafka_warden_policy_findings_total\{rule="listener-migration",mode="enforce"\} \d+/,
    );
    expect(metrics.registry).toBeDefined();
  });

  test('the two rolls it names are each admitted', async () => {
    const first = rendered('default@interbroker-plaintext');
    expect((await send(statefulSet('default'), first)).allowed).toBe(true);
    expect((await send(first, rendered())).allowed).toBe(true);
  });

  test.each([
    ['TLS → SASL_SSL with PLAINTEXT dropped', 'default@tls-only', 'default@sasl-tls-only'],
    ['SASL_SSL → SSL', 'default@sasl-tls-only', 'default@tls-only'],
    ['TLS → PLAINTEXT', 'default', 'default@minimal'],
  ])('%s in one roll: denied', async (_name, before, after) => {
    const response = await send(rendered(before), rendered(after));
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain('[listener-migration]');
  });

  test('an exemption on the StatefulSet before the change admits it (audited); one the change adds does not', async () => {
    const exempt = { 'kafka-warden.io/exempt-listener-migration': 'CHG-31: no topics yet' };
    const annotated = (object: KubeObject): KubeObject => ({
      ...object,
      metadata: { ...object.metadata, annotations: { ...object.metadata?.annotations, ...exempt } },
    });
    const kept = await send(annotated(statefulSet('default')), annotated(rendered()));
    expect(kept.allowed).toBe(true);
    const added = await send(statefulSet('default'), annotated(rendered()));
    expect(added.allowed).toBe(false);
    expect(added.status?.message).toContain('is ignored: this change adds it');
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
