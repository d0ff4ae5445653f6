/**
 * charts/kafka-warden installed with real Helm into a real API server (test/support/control-plane:
 * no kubelet, so the webhook server never runs and every call to it fails). That is the point: with
 * mutation set to failurePolicy Fail for this test, an API call that is refused with "failed calling
 * webhook" proves the webhook was called, one that succeeds proves it was not. So the API server
 * shows what it accepts (CEL match conditions compile, every field validates) and whom it sends
 * where; `lookup` keeps the serving certificate across upgrades; and the stock cp-helm-charts
 * ZooKeeper budget problem of docs/webhook.md is what it says.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  apiRequest,
  eventually,
  startControlPlane,
  type ControlPlane,
} from '../../support/control-plane';
import type { HelmMajor } from '../../support/helm';
import { sharedDir } from '../../support/paths';
import {
  CHART_DIR,
  WEBHOOK_CONFIG_DIR,
  helm,
  parseObjects,
  valuesArgs,
  type WebhookConfiguration,
} from './chart-support';

const NS = 'kafka-warden';
let cp: ControlPlane;

const kube = <T = Record<string, unknown>>(method: string, url: string, body?: unknown) =>
  apiRequest<T>(cp, method, url, body);

function helmIn(major: HelmMajor, args: string[]) {
  const run = helm(major).run(args, { KUBECONFIG: cp.kubeconfigPath });
  return { ...run, output: `${run.stdout}\n${run.stderr}` };
}

/** Mutation fails closed here, so that "called" is visible (see the file comment). */
const TEST_VALUES = {
  webhooks: { mutating: { failurePolicy: 'Fail' } },
  kafkaNamespaces: ['kafka', 'kafka-unguarded'],
  secretIssuer: { clusters: ['kafka/my-cp-cp-kafka'] },
};

function upgrade(major: HelmMajor, values: Record<string, unknown> = {}) {
  const run = helmIn(major, [
    'upgrade',
    NS,
    CHART_DIR,
    '--namespace',
    NS,
    '--reuse-values',
    ...valuesArgs(values),
  ]);
  expect(run.output).toContain('has been upgraded');
  expect(run.status).toBe(0);
}

interface Secret {
  data: Record<string, string>;
  metadata: { annotations: Record<string, string> };
}
const servingSecret = async () =>
  (await kube<Secret>('GET', `/api/v1/namespaces/${NS}/secrets/kafka-warden-tls`)).body;
const caBundles = async () =>
  Promise.all(
    ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'].map(
      async (kind) =>
        (
          await kube<WebhookConfiguration>(
            'GET',
            `/apis/admissionregistration.k8s.io/v1/${kind}/kafka-warden`,
          )
        ).body.webhooks[0]?.clientConfig.caBundle,
    ),
  );

async function namespace(name: string, labels: Record<string, string> = {}) {
  const created = await kube('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
  });
  expect([201, 409]).toContain(created.status);
}

/** A pod that the "restricted" Pod Security Standard admits unless `plain`. */
function pod(name: string, container: string, labels: Record<string, string> = {}, plain = false) {
  const securityContext = {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      containers: [
        {
          name: container,
          image: 'confluentinc/cp-server:7.6.0',
          ...(plain ? {} : { securityContext }),
        },
      ],
    },
  };
}

/** A broker StatefulSet as the stock cp-helm-charts renders it, without the post-renderer. */
function stockBroker(name: string) {
  const labels = { app: 'cp-kafka', release: 'my-cp' };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, labels },
    spec: {
      serviceName: `${name}-headless`,
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            { name: 'cp-kafka-broker', image: 'confluentinc/cp-enterprise-kafka:6.1.0' },
          ],
        },
      },
    },
  };
}

const calledMutating = /failed calling webhook "inject\.kafka-warden\.io"/;
const calledValidating = /failed calling webhook "policy\.kafka-warden\.io"/;
const message = (body: unknown) => (body as { message?: string }).message ?? JSON.stringify(body);

let installOutput = '';
beforeAll(async () => {
  cp = await startControlPlane();
  for (const [name, labels] of [
    // The release namespace enforces the "restricted" Pod Security Standard.
    [NS, { 'pod-security.kubernetes.io/enforce': 'restricted' }],
    ['kafka', {}],
    [
      'kafka-opted-out',
      { 'kafka-warden.io/injection': 'disabled', 'kafka-warden.io/validation': 'disabled' },
    ],
    ['kafka-unguarded', { 'kafka-warden.io/validation': 'disabled' }],
  ] as const) {
    await namespace(name, labels);
  }
  const install = helmIn(3, [
    'install',
    NS,
    CHART_DIR,
    '--namespace',
    NS,
    '--create-namespace',
    ...valuesArgs(TEST_VALUES),
  ]);
  if (install.status !== 0) throw new Error(`helm install failed:\n${install.output}`);
  installOutput = install.output;
}, 240_000);

afterAll(async () => {
  await cp?.stop();
}, 60_000);

describe('helm install into a real API server (Kubernetes 1.34)', () => {
  it('registers both webhooks with their CEL match condition, a caBundle and the Service', async () => {
    const mutating = await kube<WebhookConfiguration>(
      'GET',
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/kafka-warden',
    );
    expect(mutating.status).toBe(200);
    const webhook = mutating.body.webhooks[0];
    expect(webhook?.matchConditions?.[0]?.name).toBe('kafka-or-zookeeper');
    expect(webhook?.sideEffects).toBe('None');
    const [mutatingCa, validatingCa] = await caBundles();
    expect(mutatingCa).toBeTruthy();
    expect(validatingCa).toBe(mutatingCa);
    expect((await kube('GET', `/api/v1/namespaces/${NS}/services/kafka-warden`)).status).toBe(200);
    expect(
      (await kube('GET', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/kafka-warden`))
        .status,
    ).toBe(200);
  });

  it('runs pods the "restricted" Pod Security Standard admits (the Deployment creates both)', async () => {
    const pods = await eventually('two kafka-warden pods', async () => {
      const list = await kube<{ items: { metadata: { name: string } }[] }>(
        'GET',
        `/api/v1/namespaces/${NS}/pods?labelSelector=app.kubernetes.io%2Fname%3Dkafka-warden`,
      );
      return list.body.items.length === 2 ? list.body.items : undefined;
    });
    expect(pods).toHaveLength(2);
    // The label is enforced: a pod with default security settings is refused there.
    const plain = await kube(
      'POST',
      `/api/v1/namespaces/${NS}/pods`,
      pod('plain', 'nginx', {}, true),
    );
    expect(message(plain.body)).toContain('violates PodSecurity "restricted');
  }, 90_000);

  it('prints notes naming the webhooks and the CA Secret the issuer needs', () => {
    expect(installOutput).toContain('inject.kafka-warden.io');
    expect(installOutput).toContain('Secret kafka-warden/kafka-warden-ca');
    expect(installOutput).toContain('It signs for kafka/my-cp-cp-kafka and nothing else.');
  });

  it.each([
    ['get', 'configmaps', 'kafka', '', true],
    ['get', 'secrets', 'kafka', '', true],
    ['create', 'secrets', 'kafka', '', true],
    ['update', 'secrets', 'kafka', '', true],
    ['list', 'statefulsets', 'kafka-unguarded', '', true],
    ['watch', 'statefulsets', 'kafka', '', true],
    ['get', 'secrets', NS, 'kafka-warden-ca', true],
    ['list', 'secrets', 'kafka', '', true],
    ['watch', 'secrets', 'kafka', '', true],
    ['patch', 'statefulsets', 'kafka', '', true],
    ['get', 'statefulsets', 'kafka', '', true],
    ['get', 'statefulsets', 'default', '', false],
    ['delete', 'secrets', 'kafka', '', false],
    ['patch', 'secrets', 'kafka', '', false],
    ['update', 'statefulsets', 'kafka', '', false],
    ['delete', 'statefulsets', 'kafka', '', false],
    ['patch', 'statefulsets', 'default', '', false],
    ['list', 'secrets', 'default', '', false],
    ['create', 'secrets', 'default', '', false],
    ['get', 'configmaps', 'default', '', false],
    ['get', 'secrets', NS, 'kafka-warden-tls', false],
    ['list', 'pods', 'kafka', '', false],
    ['list', 'persistentvolumeclaims', 'kafka', '', true],
    ['list', 'persistentvolumeclaims', 'default', '', false],
    ['get', 'persistentvolumeclaims', 'kafka', '', false],
  ])('the service account may %s %s in %s %s: %s', async (verb, resource, ns, name, allowed) => {
    const review = await kube<{ status: { allowed: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: `system:serviceaccount:${NS}:kafka-warden`,
          groups: [
            'system:serviceaccounts',
            `system:serviceaccounts:${NS}`,
            'system:authenticated',
          ],
          resourceAttributes: {
            verb,
            resource,
            namespace: ns,
            group: resource === 'statefulsets' ? 'apps' : '',
            ...(name ? { name } : {}),
          },
        },
      },
    );
    expect(review.status).toBe(201);
    expect(review.body.status.allowed).toBe(allowed);
  });

  it('sends Kafka and ZooKeeper pods to the mutating webhook, by container name or by the chart label', async () => {
    const broker = await kube(
      'POST',
      '/api/v1/namespaces/kafka/pods',
      pod('broker', 'cp-kafka-broker'),
    );
    expect(message(broker.body)).toMatch(calledMutating);
    const byLabel = await kube(
      'POST',
      '/api/v1/namespaces/kafka/pods',
      pod('zk', 'server', { app: 'cp-zookeeper' }),
    );
    expect(message(byLabel.body)).toMatch(calledMutating);
  });

  it('does not send other pods (the match condition is false)', async () => {
    const other = await kube(
      'POST',
      '/api/v1/namespaces/kafka/pods',
      pod('web', 'nginx', { app: 'web' }),
    );
    expect(other.status).toBe(201);
  });

  it("does not send a Deployment's or a Job's pods, even Kafka-looking ones (the object selector)", async () => {
    for (const [name, labels] of [
      ['rs', { app: 'cp-kafka', 'pod-template-hash': '7d9f8b6c5' }],
      ['job', { app: 'cp-kafka', 'batch.kubernetes.io/job-name': 'report', 'job-name': 'report' }],
    ] as const) {
      const created = await kube(
        'POST',
        '/api/v1/namespaces/kafka/pods',
        pod(name, 'cp-kafka-broker', { ...labels }),
      );
      expect(created.status).toBe(201);
    }
  });

  it('is called on dry runs too (sideEffects None)', async () => {
    const dry = await kube(
      'POST',
      '/api/v1/namespaces/kafka/pods?dryRun=All',
      pod('broker-dry', 'cp-kafka-broker'),
    );
    expect(message(dry.body)).toMatch(calledMutating);
  });

  it.each([
    ['the release namespace', NS],
    ['kube-system', 'kube-system'],
    ['a namespace with the opt-out label', 'kafka-opted-out'],
  ])('skips %s', async (_what, ns) => {
    const skipped = await kube(
      'POST',
      `/api/v1/namespaces/${ns}/pods`,
      pod('broker', 'cp-kafka-broker'),
    );
    expect(skipped.status).toBe(201);
  });

  it('sees the pods a stock (not post-rendered) broker StatefulSet creates', async () => {
    const sts = await kube(
      'POST',
      '/apis/apps/v1/namespaces/kafka-unguarded/statefulsets',
      stockBroker('my-cp-cp-kafka'),
    );
    expect(sts.status).toBe(201);
    const event = await eventually('a FailedCreate event naming the mutating webhook', async () => {
      const events = await kube<{ items: { reason: string; message: string }[] }>(
        'GET',
        '/api/v1/namespaces/kafka-unguarded/events',
      );
      return events.body.items.find(
        (e) => e.reason === 'FailedCreate' && calledMutating.test(e.message),
      );
    });
    expect(event.message).toContain('my-cp-cp-kafka-0');
  }, 90_000);

  it('sends StatefulSet changes, scaling and budgets to the validating webhook, which fails closed', async () => {
    const create = await kube(
      'POST',
      '/apis/apps/v1/namespaces/kafka/statefulsets',
      stockBroker('guarded'),
    );
    expect(message(create.body)).toMatch(calledValidating);
    // An existing StatefulSet (made while its namespace was opted out), then scaled.
    await namespace('kafka-scale', {
      'kafka-warden.io/validation': 'disabled',
      'kafka-warden.io/injection': 'disabled',
    });
    expect(
      (
        await kube(
          'POST',
          '/apis/apps/v1/namespaces/kafka-scale/statefulsets',
          stockBroker('scaled'),
        )
      ).status,
    ).toBe(201);
    const relabel = await kube('PUT', '/api/v1/namespaces/kafka-scale', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'kafka-scale', labels: {} },
    });
    expect(relabel.status).toBe(200);
    const scale = await kube(
      'PUT',
      '/apis/apps/v1/namespaces/kafka-scale/statefulsets/scaled/scale',
      {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'scaled', namespace: 'kafka-scale' },
        spec: { replicas: 3 },
      },
    );
    expect(message(scale.body)).toMatch(calledValidating);
    const pdb = await kube('POST', '/apis/policy/v1/namespaces/kafka/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'b' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'cp-kafka' } } },
    });
    expect(message(pdb.body)).toMatch(calledValidating);
    const configMap = await kube('POST', '/api/v1/namespaces/kafka/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'plan' },
      data: { 'plan.json': '{}' },
    });
    expect(configMap.status).toBe(201);
  });

  it('while the server is down, a namespace holding a StatefulSet cannot be deleted (fails closed)', async () => {
    // kafka-scale holds StatefulSet "scaled" and is no longer opted out (test above).
    expect((await kube('DELETE', '/api/v1/namespaces/kafka-scale')).status).toBe(200);
    const condition = await eventually(
      'a namespace deletion condition naming the webhook',
      async () => {
        const ns = await kube<{ status: { conditions?: { type: string; message: string }[] } }>(
          'GET',
          '/api/v1/namespaces/kafka-scale',
        );
        return ns.body.status.conditions?.find((c) => calledValidating.test(c.message));
      },
    );
    expect(condition.type).toBe('NamespaceDeletionContentFailure');
  }, 90_000);

  it('keeps the CA and the certificate across helm upgrade (Helm 3 and Helm 4)', async () => {
    const before = await servingSecret();
    const bundles = await caBundles();
    upgrade(3);
    upgrade(4, { logLevel: 'debug' });
    const after = await servingSecret();
    expect(after.data['tls.crt']).toBe(before.data['tls.crt']);
    expect(after.data['ca.crt']).toBe(before.data['ca.crt']);
    expect(await caBundles()).toEqual(bundles);
  }, 60_000);

  it('re-signs a certificate that is due with the same CA, so caBundle does not move', async () => {
    const before = await servingSecret();
    const bundles = await caBundles();
    upgrade(4, { selfSignedCertificate: { renewBeforeDays: 400 } }); // > validityDays: always due
    const after = await servingSecret();
    expect(after.data['tls.crt']).not.toBe(before.data['tls.crt']);
    expect(after.data['ca.crt']).toBe(before.data['ca.crt']);
    expect(await caBundles()).toEqual(bundles);
    const ca = new X509Certificate(Buffer.from(after.data['ca.crt'] ?? '', 'base64'));
    const cert = new X509Certificate(Buffer.from(after.data['tls.crt'] ?? '', 'base64'));
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(after.metadata.annotations['kafka-warden.io/not-after']).not.toBe(
      before.metadata.annotations['kafka-warden.io/not-after'],
    );
    upgrade(4, { selfSignedCertificate: { renewBeforeDays: 60 } });
  }, 60_000);

  it('accepts webhook-config/ as plain manifests (server-side dry run, caBundle from the ca-file overlay)', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'kw-webhook-config-'));
    try {
      spawnSync('cp', ['-r', WEBHOOK_CONFIG_DIR, work]);
      const caPem = Buffer.from((await servingSecret()).data['ca.crt'] ?? '', 'base64').toString();
      writeFileSync(path.join(work, 'webhook-config', 'overlays', 'ca-file', 'ca.crt'), caPem);
      const kustomize = path.join(path.dirname(helm(3).binary), 'kustomize');
      const built = spawnSync(
        kustomize,
        ['build', path.join(work, 'webhook-config', 'overlays', 'ca-file')],
        { encoding: 'utf8' },
      );
      expect(built.status).toBe(0);
      for (const object of parseObjects(built.stdout)) {
        if (object.kind === 'Namespace') continue;
        object.metadata.name = 'kafka-warden-plain';
        const resource = `${object.kind.toLowerCase()}s`;
        const created = await kube<WebhookConfiguration>(
          'POST',
          `/apis/admissionregistration.k8s.io/v1/${resource}?dryRun=All`,
          object,
        );
        expect(created.status).toBe(201);
        // The API server decoded kustomize's folded base64 to the CA.
        expect(created.body.webhooks[0]?.clientConfig.caBundle).toBe(
          Buffer.from(caPem).toString('base64'),
        );
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("accepts webhook-config/components/roll-gate's RBAC (server-side dry run)", async () => {
    // A Component cannot be built alone; its one resource file holds the objects (that the
    // component adds exactly these: webhook-config.test.ts).
    const text = readFileSync(
      path.join(WEBHOOK_CONFIG_DIR, 'components', 'roll-gate', 'rbac.yaml'),
      'utf8',
    );
    const objects = parseObjects(text);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
    ]);
    for (const object of objects) {
      const plural = `${object.kind.toLowerCase()}s`;
      const where = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
      const created = await kube(
        'POST',
        `/apis/rbac.authorization.k8s.io/v1${where}/${plural}?dryRun=All`,
        object,
      );
      expect({ kind: object.kind, status: created.status }).toEqual({
        kind: object.kind,
        status: 201,
      });
    }
  });
});

describe('the stock cp-helm-charts on Kubernetes 1.25+ (docs/webhook.md)', () => {
  const chart = () => path.join(sharedDir(), 'charts', 'cp-helm-charts-0.6.1.tgz');

  it('cannot install: its ZooKeeper PodDisruptionBudget is policy/v1beta1', () => {
    const run = helmIn(3, ['install', 'my-cp', chart(), '--namespace', 'kafka-opted-out']);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(
      'no matches for kind "PodDisruptionBudget" in version "policy/v1beta1"',
    );
  });

  it('installs with the one-line override of docs/webhook.md', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-cp-override-'));
    try {
      // What `helm pull confluentinc/cp-helm-charts --version 0.6.1 --untar` gives, from the package.
      const untar = spawnSync('tar', ['-xzf', chart(), '-C', dir]);
      expect(untar.status).toBe(0);
      const template = path.join(
        dir,
        'cp-helm-charts',
        'charts',
        'cp-zookeeper',
        'templates',
        'poddisruptionbudget.yaml',
      );
      writeFileSync(
        template,
        readFileSync(template, 'utf8').replace('policy/v1beta1', 'policy/v1'),
      );
      const run = helmIn(3, [
        'install',
        'my-cp',
        path.join(dir, 'cp-helm-charts'),
        '--namespace',
        'kafka-opted-out',
      ]);
      expect(run.output).toContain('STATUS: deployed');
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
