/**
 * Small helpers over the test control plane's API for the cluster tier: namespaces, merge patches,
 * the two webhook configurations pointing at a local `kafka-warden serve`, a CA Secret, and the
 * stock chart's objects to create directly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createCa, issueMaterial, loadCa, toSecret, type CaPem } from '../../src/tls';
import { apiRequest, eventually, type ControlPlane } from './control-plane';
import { sharedDir } from './paths';

export interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface KubeObj {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}
export interface List<T = KubeObj> {
  items: T[];
}

export const MUTATING_OPT_OUT = { key: 'kafka-warden.io/injection', value: 'disabled' };
export const VALIDATING_OPT_OUT = { key: 'kafka-warden.io/validation', value: 'disabled' };

export function mergePatch<T = KubeObj>(cp: ControlPlane, pathAndQuery: string, patch: unknown) {
  return apiRequest<T>(cp, 'PATCH', pathAndQuery, patch, 'application/merge-patch+json');
}

export async function createNamespace(
  cp: ControlPlane,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  const res = await apiRequest(cp, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
  });
  if (res.status !== 201) throw new Error(`namespace ${name}: HTTP ${res.status}`);
  // Pods need the namespace's default ServiceAccount (the ServiceAccount admission plugin).
  await eventually(`ServiceAccount ${name}/default`, async () => {
    const sa = await apiRequest(cp, 'GET', `/api/v1/namespaces/${name}/serviceaccounts/default`);
    return sa.status === 200 ? true : undefined;
  });
}

export async function get<T = KubeObj>(cp: ControlPlane, path: string): Promise<T | undefined> {
  const res = await apiRequest<T>(cp, 'GET', path);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.body;
}

export async function list<T = KubeObj>(cp: ControlPlane, path: string): Promise<T[]> {
  const res = await apiRequest<List<T>>(cp, 'GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.body.items;
}

export const WEBHOOK_NAME = 'kafka-warden-e2e';

/**
 * The MutatingWebhookConfiguration and ValidatingWebhookConfiguration of the cluster tier, pointing
 * at serve by URL with its CA (no Service). The same settings as charts/kafka-warden, with the
 * sideEffects the brief asks for: None (the webhooks themselves write nothing).
 */
export function webhookConfigurations(port: number, caPem: string) {
  const caBundle = Buffer.from(caPem).toString('base64');
  const namespaceSelector = (optOut: { key: string; value: string }) => ({
    matchExpressions: [
      {
        key: 'kubernetes.io/metadata.name',
        operator: 'NotIn',
        values: ['kube-system', 'kube-node-lease', 'kafka-warden-system'],
      },
      { key: optOut.key, operator: 'NotIn', values: [optOut.value] },
    ],
  });
  const mutating = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: WEBHOOK_NAME },
    webhooks: [
      {
        name: 'inject.kafka-warden.io',
        admissionReviewVersions: ['v1'],
        clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods'],
            operations: ['CREATE'],
            scope: 'Namespaced',
          },
        ],
        matchPolicy: 'Equivalent',
        namespaceSelector: namespaceSelector(MUTATING_OPT_OUT),
        sideEffects: 'None',
        timeoutSeconds: 5,
        failurePolicy: 'Ignore',
        reinvocationPolicy: 'IfNeeded',
      },
    ],
  };
  const validating = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: WEBHOOK_NAME },
    webhooks: [
      {
        name: 'policy.kafka-warden.io',
        admissionReviewVersions: ['v1'],
        clientConfig: { url: `https://127.0.0.1:${port}/validate`, caBundle },
        rules: [
          {
            apiGroups: ['apps'],
            apiVersions: ['v1'],
            resources: ['statefulsets'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            scope: 'Namespaced',
          },
          // kubectl scale, as the chart registers it (webhooks.validating.scaleSubresource).
          {
            apiGroups: ['apps'],
            apiVersions: ['v1'],
            resources: ['statefulsets/scale'],
            operations: ['UPDATE'],
            scope: 'Namespaced',
          },
        ],
        matchPolicy: 'Equivalent',
        namespaceSelector: namespaceSelector(VALIDATING_OPT_OUT),
        sideEffects: 'None',
        timeoutSeconds: 5,
        failurePolicy: 'Fail',
      },
    ],
  };
  return { mutating, validating };
}

const MUTATING_PATH = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const VALIDATING_PATH = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';

export async function registerWebhooks(cp: ControlPlane, port: number, caPem: string) {
  const { mutating, validating } = webhookConfigurations(port, caPem);
  for (const [path, body] of [
    [MUTATING_PATH, mutating],
    [VALIDATING_PATH, validating],
  ] as const) {
    const res = await apiRequest(cp, 'POST', path, body);
    if (res.status !== 201)
      throw new Error(`POST ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
}

export async function deleteWebhooks(cp: ControlPlane): Promise<void> {
  await apiRequest(cp, 'DELETE', `${MUTATING_PATH}/${WEBHOOK_NAME}`);
  await apiRequest(cp, 'DELETE', `${VALIDATING_PATH}/${WEBHOOK_NAME}`);
}

/** Creates a CA with src/tls and stores it as a kubernetes.io/tls Secret; returns its PEM. */
export async function createCaSecret(
  cp: ControlPlane,
  namespace: string,
  name: string,
  commonName = 'kafka-warden e2e CA',
  days = 365,
): Promise<CaPem> {
  const { pem } = await createCa({ commonName, bits: 2048, days });
  await putCaSecret(cp, namespace, name, pem);
  return pem;
}

/** The issuer's CA Secret (`tls.crt`, `tls.key`) holding `pem`: created, or replaced if present. */
export async function putCaSecret(
  cp: ControlPlane,
  namespace: string,
  name: string,
  pem: CaPem,
): Promise<void> {
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace },
    data: {
      'tls.crt': Buffer.from(pem.certificate).toString('base64'),
      'tls.key': Buffer.from(pem.key).toString('base64'),
    },
  };
  const existing = await get(cp, `/api/v1/namespaces/${namespace}/secrets/${name}`);
  const res = existing
    ? await apiRequest(cp, 'PUT', `/api/v1/namespaces/${namespace}/secrets/${name}`, {
        ...body,
        metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion },
      })
    : await apiRequest(cp, 'POST', `/api/v1/namespaces/${namespace}/secrets`, body);
  if (res.status !== 201 && res.status !== 200) throw new Error(`CA Secret: HTTP ${res.status}`);
}

/** An object of the stock chart's render (../shared/cp-helm-charts/rendered), by kind and name suffix. */
export function stockObject(
  version: '0.5.0' | '0.6.1',
  values: string,
  kind: string,
  nameSuffix: string,
): KubeObj {
  const file = path.join(sharedDir(), 'cp-helm-charts', 'rendered', version, `${values}.yaml`);
  const found = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as KubeObj | null)
    .find((o) => o?.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (!found) throw new Error(`${file}: no ${kind} *${nameSuffix}`);
  return found;
}

/** The stock cp-kafka StatefulSet renamed into `namespace` as `name`. */
export function kafkaStatefulSet(namespace: string, name: string, replicas = 3): KubeObj {
  const sts = structuredClone(stockObject('0.6.1', 'kafka-zk-only', 'StatefulSet', '-cp-kafka'));
  sts.metadata = { name, namespace, labels: sts.metadata.labels ?? {} };
  const spec = sts.spec as { replicas: number; serviceName: string };
  spec.replicas = replicas;
  spec.serviceName = `${name}-headless`;
  return sts;
}

/**
 * Replaces a broker Secret's material, as `certs rotate` would, with a certificate valid for 10
 * days: inside the 30-day renewal window, so the issuer renews it on its next pass. Same names
 * (from the Secret's SAN annotation), same labels. Returns the content hash written.
 */
export async function forceIntoRenewalWindow(
  cp: ControlPlane,
  ns: string,
  cluster: string,
  ca: CaPem,
): Promise<string> {
  const name = `${cluster}-broker-tls`;
  const path = `/api/v1/namespaces/${ns}/secrets/${name}`;
  const current = await get(cp, path);
  if (!current) throw new Error(`Secret ${ns}/${name} does not exist`);
  const material = await issueMaterial('broker', {
    ca: loadCa(ca, { certificate: 'ca.crt', key: 'ca.key' }, new Date()),
    commonName: cluster,
    subjectAltNames:
      current.metadata.annotations?.['kafka-warden.io/tls-subject-alt-names']?.split(',') ?? [],
    days: 10,
  });
  const manifest = toSecret(material, {
    name,
    namespace: ns,
    labels: current.metadata.labels ?? {},
  });
  const put = await apiRequest(cp, 'PUT', path, {
    ...manifest,
    metadata: { ...manifest.metadata, resourceVersion: current.metadata.resourceVersion },
  });
  if (put.status !== 200)
    throw new Error(`PUT ${path}: HTTP ${put.status} ${JSON.stringify(put.body)}`);
  return manifest.metadata.annotations['kafka-warden.io/tls-content-hash'] as string;
}
