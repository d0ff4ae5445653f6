/**
 * The validating webhook reads a reassignment plan from a ConfigMap through the Kubernetes API
 * (src/kube, @kubernetes/client-node, loaded only by `serve`): a real API server holds the
 * ConfigMap, `kafka-warden serve --kubeconfig` judges a broker scale-down that names it.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../src/core/k8s-types';
import { apiRequest, startControlPlane, type ControlPlane } from '../../support/control-plane';
import { sharedDir } from '../../support/paths';
import { admissionReview } from '../../support/pods';
import { startServe, type ServeProcess } from '../../support/serve-process';

const NS = 'kw-plans';
let cp: ControlPlane;
let serve: ServeProcess;

const broker = (replicas: number, annotations: Record<string, string> = {}): KubeObject => {
  const sts = parseAllDocuments(
    readFileSync(
      path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
      'utf8',
    ),
  )
    .map((d) => d.toJS() as KubeObject)
    .find((o) => o.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka') as KubeObject;
  return {
    ...sts,
    metadata: { ...sts.metadata, namespace: NS, annotations },
    spec: { ...(sts.spec as object), replicas },
  };
};

// Moves every replica of topic "orders" off broker 3, the one a 4 → 3 scale-down removes (3
// brokers remain, so the chart's replication factors of 3 stay satisfiable).
const drainingPlan = JSON.stringify({
  version: 1,
  partitions: [
    { topic: 'orders', partition: 0, replicas: [0, 1, 2] },
    { topic: 'orders', partition: 1, replicas: [1, 2, 0] },
  ],
});

function validate(body: unknown): Promise<{ allowed: boolean; message?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: serve.port,
        servername: 'localhost',
        path: '/validate',
        method: 'POST',
        ca: serve.ca,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          const review = JSON.parse(text) as {
            response: { allowed: boolean; status?: { message: string } };
          };
          resolve({ allowed: review.response.allowed, message: review.response.status?.message });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

beforeAll(async () => {
  cp = await startControlPlane();
  expect(
    (
      await apiRequest(cp, 'POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: NS },
      })
    ).status,
  ).toBe(201);
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'orders-drain', namespace: NS },
    data: { 'plan.json': drainingPlan },
  };
  expect(
    (await apiRequest(cp, 'POST', `/api/v1/namespaces/${NS}/configmaps`, configMap)).status,
  ).toBe(201);
  // Not --no-kube: serve reads ConfigMaps with @kubernetes/client-node through this kubeconfig.
  serve = await startServe(['--kubeconfig', cp.kubeconfigPath], 30_000, false);
}, 180_000);

afterAll(async () => {
  serve?.child.kill('SIGTERM');
  await serve?.exited;
  await cp?.stop();
}, 60_000);

test('a scale-down naming a ConfigMap whose plan drains the removed broker is allowed', async () => {
  const review = admissionReview(
    broker(3, { 'kafka-warden.io/reassignment-plan-configmap': 'orders-drain' }),
    {
      operation: 'UPDATE',
      oldObject: broker(4),
    },
  );
  const answer = await validate(review);
  expect(answer).toEqual({ allowed: true, message: undefined });
});

test('a scale-down naming a ConfigMap that does not exist is denied, naming it', async () => {
  const review = admissionReview(
    broker(3, { 'kafka-warden.io/reassignment-plan-configmap': 'missing-plan' }),
    {
      operation: 'UPDATE',
      oldObject: broker(4),
    },
  );
  const answer = await validate(review);
  expect(answer.allowed).toBe(false);
  expect(answer.message).toContain('missing-plan');
});
