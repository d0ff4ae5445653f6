/**
 * charts/kafka-warden as Helm renders it: `helm lint` with both majors, then every field the
 * webhook configurations, the Deployment, the budget and RBAC must carry (docs/webhook.md).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { load } from 'js-yaml';
import { REPO_ROOT } from '../../support/paths';
import {
  CHART_DIR,
  HELM_MAJORS,
  find,
  grants,
  helm,
  kinds,
  onlyWebhook,
  render,
  templateRun,
  valuesArgs,
  type K8sObject,
  type WebhookConfiguration,
} from './chart-support';

/** The mutating webhook's default objectSelector (values.yaml): no ReplicaSet's or Job's pods. */
const DEFAULT_OBJECT_SELECTOR = {
  matchExpressions: [
    { key: 'pod-template-hash', operator: 'DoesNotExist' },
    { key: 'job-name', operator: 'DoesNotExist' },
    { key: 'batch.kubernetes.io/job-name', operator: 'DoesNotExist' },
  ],
};

const CERT_MANAGER = { certManager: { enabled: true } };

interface Container {
  name: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string; scheme: string } };
  readinessProbe: { httpGet: { path: string; port: string; scheme: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; subPath?: string }[];
}
interface Deployment extends K8sObject {
  spec: {
    replicas: number;
    template: {
      metadata: { annotations: Record<string, string> };
      spec: {
        securityContext: Record<string, unknown>;
        terminationGracePeriodSeconds: number;
        automountServiceAccountToken: boolean;
        affinity: {
          podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution: unknown[] };
        };
        containers: Container[];
        volumes: {
          name: string;
          secret?: { secretName: string };
          emptyDir?: unknown;
          configMap?: { name: string };
        }[];
      };
    };
  };
}

function container(objects: K8sObject[]): Container {
  const deployment = find<Deployment>(objects, 'Deployment');
  expect(deployment.spec.template.spec.containers).toHaveLength(1);
  return deployment.spec.template.spec.containers[0] as Container;
}

describe('helm lint', () => {
  describe.each(HELM_MAJORS)('Helm %i', (major) => {
    it.each([
      ['default values', undefined],
      ['cert-manager values', CERT_MANAGER],
      ['roll gate values', { liveChecks: { enabled: true }, rollGate: { enabled: true } }],
      [
        'every toggle flipped',
        {
          mutateStatefulSets: true,
          kafkaNamespaces: ['kafka'],
          secretIssuer: { enabled: false },
          rbac: { readPlanConfigMaps: false },
          webhooks: { validating: { scaleSubresource: false, podDisruptionBudgets: false } },
          certManager: { enabled: true, issuerRef: { name: 'platform', kind: 'ClusterIssuer' } },
        },
      ],
    ])('passes with %s', (_what, values) => {
      const run = helm(major).run(['lint', CHART_DIR, '--strict', ...valuesArgs(values)]);
      expect(`${run.stdout}${run.stderr}`).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(run.status).toBe(0);
    });
  });
});

describe.each(HELM_MAJORS)('helm template (Helm %i)', (major) => {
  const objects = render({ major });
  const mutating = find<WebhookConfiguration>(objects, 'MutatingWebhookConfiguration');
  const validating = find<WebhookConfiguration>(objects, 'ValidatingWebhookConfiguration');

  describe('webhook configurations', () => {
    it.each([
      ['mutating', mutating, '/mutate'],
      ['validating', validating, '/validate'],
    ])(
      'the %s webhook: admission/v1, 5 s timeout, sideEffects None, the Service',
      (_w, config, path) => {
        const webhook = onlyWebhook(config);
        expect(webhook.admissionReviewVersions).toEqual(['v1']);
        expect(webhook.timeoutSeconds).toBe(5);
        // Admission changes nothing but its answer: the Secret issuer runs on its own watch.
        expect(webhook.sideEffects).toBe('None');
        expect(webhook.matchPolicy).toBe('Equivalent');
        expect(webhook.clientConfig.service).toEqual({
          name: 'kafka-warden',
          namespace: 'kafka-warden',
          path,
          port: 443,
        });
      },
    );

    it('mutation fails open, validation fails closed', () => {
      expect(onlyWebhook(mutating).failurePolicy).toBe('Ignore');
      expect(onlyWebhook(validating).failurePolicy).toBe('Fail');
    });

    it('mutation is re-invoked when a later webhook changes the pod (it is idempotent)', () => {
      expect(onlyWebhook(mutating).reinvocationPolicy).toBe('IfNeeded');
      expect(onlyWebhook(validating).reinvocationPolicy).toBeUndefined();
    });

    it.each([
      ['mutating', mutating, 'kafka-warden.io/injection'],
      ['validating', validating, 'kafka-warden.io/validation'],
    ])(
      'the %s webhook skips kube-system, kube-node-lease, its own namespace and opted-out namespaces',
      (_w, config, optOut) => {
        expect(onlyWebhook(config).namespaceSelector).toEqual({
          matchExpressions: [
            {
              key: 'kubernetes.io/metadata.name',
              operator: 'NotIn',
              values: ['kube-system', 'kube-node-lease', 'kafka-warden'],
            },
            { key: optOut, operator: 'NotIn', values: ['disabled'] },
          ],
        });
      },
    );

    it('follows the release namespace', () => {
      const other = render({ major, namespace: 'platform-webhooks', release: 'kw' });
      for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
        const webhook = onlyWebhook(find<WebhookConfiguration>(other, kind));
        expect(webhook.namespaceSelector?.matchExpressions?.[0]?.values).toContain(
          'platform-webhooks',
        );
        expect(webhook.clientConfig.service).toMatchObject({
          name: 'kw-kafka-warden',
          namespace: 'platform-webhooks',
        });
      }
    });

    it('mutating: pods on CREATE; StatefulSets on CREATE and UPDATE only with mutateStatefulSets', () => {
      expect(onlyWebhook(mutating).rules).toEqual([
        {
          apiGroups: [''],
          apiVersions: ['v1'],
          resources: ['pods'],
          operations: ['CREATE'],
          scope: 'Namespaced',
        },
      ]);
      const withSts = render({ major, values: { mutateStatefulSets: true } });
      expect(
        onlyWebhook(find<WebhookConfiguration>(withSts, 'MutatingWebhookConfiguration')).rules,
      ).toContainEqual({
        apiGroups: ['apps'],
        apiVersions: ['v1'],
        resources: ['statefulsets'],
        operations: ['CREATE', 'UPDATE'],
        scope: 'Namespaced',
      });
      expect(container(withSts).args).toContain('--mutate-statefulsets');
      expect(container(objects).args).not.toContain('--mutate-statefulsets');
    });

    it('validating: StatefulSets, their scale subresource and budgets; never ConfigMaps', () => {
      const rules = onlyWebhook(validating).rules;
      expect(rules).toEqual([
        {
          apiGroups: ['apps'],
          apiVersions: ['v1'],
          resources: ['statefulsets'],
          operations: ['CREATE', 'UPDATE', 'DELETE'],
          scope: 'Namespaced',
        },
        {
          apiGroups: ['apps'],
          apiVersions: ['v1'],
          resources: ['statefulsets/scale'],
          operations: ['UPDATE'],
          scope: 'Namespaced',
        },
        {
          apiGroups: ['policy'],
          apiVersions: ['v1'],
          resources: ['poddisruptionbudgets'],
          operations: ['CREATE', 'UPDATE', 'DELETE'],
          scope: 'Namespaced',
        },
      ]);
      expect(rules.flatMap((r) => r.resources)).not.toContain('configmaps');
    });

    it('narrows mutation with a CEL match condition on the stock chart labels and container names', () => {
      const conditions = onlyWebhook(mutating).matchConditions ?? [];
      expect(conditions).toHaveLength(1);
      const expression = conditions[0]?.expression ?? '';
      // Equal to what `kafka-warden defaults` detects by (a container name alone, or the labels).
      const defaults = load(
        execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'kafka-warden'), 'defaults'], {
          encoding: 'utf8',
        }),
      ) as {
        detection: Record<string, { labels: Record<string, string>; containerNames: string[] }>;
      };
      for (const matcher of Object.values(defaults.detection)) {
        for (const name of matcher.containerNames) expect(expression).toContain(`"${name}"`);
        for (const [key, value] of Object.entries(matcher.labels))
          expect(expression).toContain(`.labels["${key}"] == "${value}"`);
      }
      // Both a Pod and a StatefulSet's pod template, and nothing the post-renderer adds.
      expect(expression).toContain('request.kind.kind == "Pod"');
      expect(expression).toContain('object.spec.template.spec.containers');
      expect(expression).not.toContain('kafka-warden.io');
      // Deployments' and Jobs' pods are left out by label, before any conversion for the CEL.
      expect(onlyWebhook(mutating).objectSelector).toEqual(DEFAULT_OBJECT_SELECTOR);
    });

    it('sends Deployments and Jobs pods to the CEL condition as well when objectSelector is null', () => {
      const all = render({ major, values: { webhooks: { mutating: { objectSelector: null } } } });
      const webhook = onlyWebhook(find<WebhookConfiguration>(all, 'MutatingWebhookConfiguration'));
      expect(webhook.objectSelector).toEqual({});
      expect(webhook.matchConditions?.[0]?.name).toBe('kafka-or-zookeeper');
    });

    it('takes the match condition from the injection configuration detection (labels replace)', () => {
      const custom = render({
        major,
        values: {
          injection: {
            detection: {
              kafka: { labels: { 'app.kubernetes.io/name': 'kafka' }, containerNames: ['broker'] },
            },
          },
        },
      });
      const expression =
        onlyWebhook(find<WebhookConfiguration>(custom, 'MutatingWebhookConfiguration'))
          .matchConditions?.[0]?.expression ?? '';
      expect(expression).toContain('["broker","cp-zookeeper-server"]');
      expect(expression).toContain('.labels["app.kubernetes.io/name"] == "kafka"');
      expect(expression).not.toContain('"cp-kafka"');
      expect(expression).toContain('"cp-zookeeper"');
    });

    it('leaves matchConditions out below Kubernetes 1.30 and offers objectSelector instead', () => {
      const selector = {
        matchExpressions: [{ key: 'app', operator: 'In', values: ['cp-kafka', 'cp-zookeeper'] }],
      };
      const old = render({
        major,
        extraArgs: ['--kube-version', '1.29.0'],
        values: { webhooks: { mutating: { objectSelector: selector } } },
      });
      const webhook = onlyWebhook(find<WebhookConfiguration>(old, 'MutatingWebhookConfiguration'));
      expect(webhook.matchConditions).toBeUndefined();
      expect(webhook.objectSelector).toEqual(selector);
      const off = render({ major, values: { webhooks: { mutating: { matchConditions: false } } } });
      expect(
        onlyWebhook(find<WebhookConfiguration>(off, 'MutatingWebhookConfiguration'))
          .matchConditions,
      ).toBeUndefined();
    });

    it('takes failure policies and timeouts from values', () => {
      const custom = render({
        major,
        values: {
          webhooks: {
            mutating: { failurePolicy: 'Fail', timeoutSeconds: 3, sideEffects: 'NoneOnDryRun' },
            validating: { failurePolicy: 'Ignore', timeoutSeconds: 10 },
          },
          terminationGracePeriodSeconds: 20,
        },
      });
      expect(
        onlyWebhook(find<WebhookConfiguration>(custom, 'MutatingWebhookConfiguration')),
      ).toMatchObject({
        failurePolicy: 'Fail',
        timeoutSeconds: 3,
        sideEffects: 'NoneOnDryRun',
      });
      expect(
        onlyWebhook(find<WebhookConfiguration>(custom, 'ValidatingWebhookConfiguration')),
      ).toMatchObject({
        failurePolicy: 'Ignore',
        timeoutSeconds: 10,
      });
    });
  });

  describe('serving certificate', () => {
    it('self-managed: a CA in caBundle that signed the Secret certificate for the Service names', () => {
      const secret = find<K8sObject & { data: Record<string, string>; type: string }>(
        objects,
        'Secret',
        'kafka-warden-tls',
      );
      expect(secret.type).toBe('kubernetes.io/tls');
      const caBundle = onlyWebhook(mutating).clientConfig.caBundle ?? '';
      expect(caBundle).not.toBe('');
      expect(onlyWebhook(validating).clientConfig.caBundle).toBe(caBundle);
      expect(secret.data['ca.crt']).toBe(caBundle);
      const ca = new X509Certificate(Buffer.from(caBundle, 'base64'));
      const cert = new X509Certificate(Buffer.from(secret.data['tls.crt'] ?? '', 'base64'));
      expect(ca.ca).toBe(true);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkHost('kafka-warden.kafka-warden.svc')).toBe('kafka-warden.kafka-warden.svc');
      expect(cert.subjectAltName).toContain('DNS:kafka-warden.kafka-warden.svc.cluster.local');
      expect(secret.metadata.annotations?.['kafka-warden.io/not-after']).toMatch(
        /^\d{4}-\d\d-\d\dT/,
      );
      expect(kinds(objects, 'Certificate')).toEqual([]);
    });

    it('cert-manager: inject-ca-from, no caBundle, no chart-made Secret, a Certificate for the Service', () => {
      const cm = render({ major, values: CERT_MANAGER });
      for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
        const config = find<WebhookConfiguration>(cm, kind);
        expect(config.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(
          'kafka-warden/kafka-warden-serving',
        );
        expect(onlyWebhook(config).clientConfig.caBundle).toBeUndefined();
      }
      expect(kinds(cm, 'Secret')).toEqual([]);
      const serving = find<K8sObject & { spec: Record<string, unknown> }>(
        cm,
        'Certificate',
        'kafka-warden-serving',
      );
      expect(serving.spec).toMatchObject({
        secretName: 'kafka-warden-tls',
        dnsNames: expect.arrayContaining(['kafka-warden.kafka-warden.svc']) as unknown,
        issuerRef: { name: 'kafka-warden-ca', kind: 'Issuer' },
      });
      expect(find(cm, 'Certificate', 'kafka-warden-ca').spec).toMatchObject({ isCA: true });
      expect(
        kinds(cm, 'Issuer')
          .map((i) => i.metadata.name)
          .sort(),
      ).toEqual(['kafka-warden-ca', 'kafka-warden-selfsigned']);
      // The Deployment mounts the Secret cert-manager writes, under the same name.
      const volumes = find<Deployment>(cm, 'Deployment').spec.template.spec.volumes;
      expect(volumes.find((v) => v.name === 'tls')?.secret?.secretName).toBe('kafka-warden-tls');
    });

    it('cert-manager with an existing issuer creates no issuer of its own', () => {
      const cm = render({
        major,
        values: {
          certManager: { enabled: true, issuerRef: { name: 'platform', kind: 'ClusterIssuer' } },
        },
      });
      expect(kinds(cm, 'Issuer')).toEqual([]);
      expect(kinds(cm, 'Certificate').map((c) => c.metadata.name)).toEqual([
        'kafka-warden-serving',
      ]);
      expect(find(cm, 'Certificate').spec).toMatchObject({
        issuerRef: { name: 'platform', kind: 'ClusterIssuer' },
      });
    });
  });

  describe('Deployment', () => {
    const deployment = find<Deployment>(objects, 'Deployment');
    const pod = deployment.spec.template.spec;
    const main = container(objects);

    it('runs two replicas spread over nodes', () => {
      expect(deployment.spec.replicas).toBe(2);
      expect(pod.affinity.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual(
        [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: 'kubernetes.io/hostname',
              labelSelector: {
                matchLabels: {
                  'app.kubernetes.io/name': 'kafka-warden',
                  'app.kubernetes.io/instance': 'kafka-warden',
                },
              },
            },
          },
        ],
      );
    });

    it('runs as 65532, non-root, read-only, no capabilities, RuntimeDefault seccomp', () => {
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(main.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(main.securityContext).not.toHaveProperty('capabilities.add');
      expect(main.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(pod.volumes.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();
    });

    it('sets requests and limits', () => {
      expect(main.resources.requests).toEqual({
        cpu: expect.any(String) as unknown,
        memory: expect.any(String) as unknown,
      });
      expect(main.resources.limits).toHaveProperty('memory');
    });

    it('probes /healthz (liveness) and /readyz (readiness) over HTTPS on the webhook port', () => {
      expect(main.ports).toEqual([{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
      expect(main.livenessProbe.httpGet).toEqual({
        path: '/healthz',
        port: 'https',
        scheme: 'HTTPS',
      });
      expect(main.readinessProbe.httpGet).toEqual({
        path: '/readyz',
        port: 'https',
        scheme: 'HTTPS',
      });
      const service = find<K8sObject & { spec: { ports: unknown[] } }>(objects, 'Service');
      expect(service.spec.ports).toEqual([
        { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
      ]);
    });

    it('wires serve with the mounted certificate, policy and injection configuration', () => {
      expect(main.args).toEqual([
        'serve',
        '--port=8443',
        '--tls-cert=/etc/kafka-warden/tls/tls.crt',
        '--tls-key=/etc/kafka-warden/tls/tls.key',
        '--policy=/etc/kafka-warden/policy/policy.yaml',
        '--config=/etc/kafka-warden/config/config.yaml',
        '--shutdown-delay=5000',
        '--log-level=info',
      ]);
      // Directory mounts: a subPath mount would never see the Secret or ConfigMap change.
      expect(main.volumeMounts.filter((m) => m.subPath)).toEqual([]);
      expect(main.volumeMounts.map((m) => m.mountPath)).toEqual(
        expect.arrayContaining([
          '/etc/kafka-warden/tls',
          '/etc/kafka-warden/policy',
          '/etc/kafka-warden/config',
        ]),
      );
      expect(pod.volumes.find((v) => v.name === 'policy')?.configMap?.name).toBe(
        'kafka-warden-policy',
      );
    });

    it('leaves live Kafka checks off by default; on, passes the --kafka-* flags and mounts the client Secret read-only', () => {
      expect(main.args.filter((a) => a.startsWith('--kafka'))).toEqual([]);
      expect(pod.volumes.map((v) => v.name)).not.toContain('kafka-client');
      const live = render({
        major,
        values: {
          liveChecks: {
            enabled: true,
            clientSecret: 'warden-client',
            bootstrapTemplate: '{statefulSet}-headless.{namespace}.svc:9093',
            configTtlSeconds: 10,
            sasl: { username: 'warden', passwordSecret: { name: 'warden-sasl', key: 'pw' } },
          },
        },
      });
      const liveMain = container(live);
      expect(liveMain.args.filter((a) => a.startsWith('--kafka'))).toEqual([
        '--kafka-tls-dir=/etc/kafka-warden/kafka-client',
        '--kafka-bootstrap-template={statefulSet}-headless.{namespace}.svc:9093',
        '--kafka-config-ttl=10000',
        '--kafka-sasl-username=warden',
        '--kafka-sasl-password-file=/etc/kafka-warden/kafka-sasl/password',
      ]);
      expect(liveMain.volumeMounts).toEqual(
        expect.arrayContaining([
          { name: 'kafka-client', mountPath: '/etc/kafka-warden/kafka-client', readOnly: true },
          { name: 'kafka-sasl', mountPath: '/etc/kafka-warden/kafka-sasl', readOnly: true },
        ]),
      );
      const volumes = find<Deployment>(live, 'Deployment').spec.template.spec.volumes;
      expect(volumes.find((v) => v.name === 'kafka-client')?.secret?.secretName).toBe(
        'warden-client',
      );
      expect(volumes.find((v) => v.name === 'kafka-sasl')?.secret).toMatchObject({
        secretName: 'warden-sasl',
        items: [{ key: 'pw', path: 'password' }],
      });
      const missing = templateRun({
        major,
        values: { liveChecks: { enabled: true, sasl: { username: 'warden' } } },
      });
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain('liveChecks.sasl.passwordSecret.name is required');
    });

    it('gives the drain time to finish: terminationGracePeriodSeconds > shutdown delay + timeout', () => {
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(5 + 5);
      const run = templateRun({
        major,
        values: { shutdownDelaySeconds: 20, terminationGracePeriodSeconds: 25 },
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('terminationGracePeriodSeconds (25) must exceed');
    });

    it('rolls the pods when the injection configuration changes, not when the policy does', () => {
      const checksum = (values: Record<string, unknown>) =>
        find<Deployment>(render({ major, values }), 'Deployment').spec.template.metadata
          .annotations['checksum/injection'];
      const base = checksum({});
      expect(checksum({ injection: { tls: { enabled: false } } })).not.toBe(base);
      expect(checksum({ policy: { rules: { 'ordered-ready': { mode: 'warn' } } } })).toBe(base);
    });

    it('runs with --no-kube and no service account token when it needs no API access', () => {
      const offline = render({
        major,
        values: {
          rbac: { readPlanConfigMaps: false },
          webhooks: { validating: { scaleSubresource: false } },
        },
      });
      expect(container(offline).args).toContain('--no-kube');
      expect(
        find<Deployment>(offline, 'Deployment').spec.template.spec.automountServiceAccountToken,
      ).toBe(false);
      expect(pod.automountServiceAccountToken).toBe(true);
      expect(main.args).not.toContain('--no-kube');
    });

    it('runs the Secret issuer over the Kafka namespaces for the clusters named, with the CA Secret', () => {
      expect(main.args.filter((a) => a.startsWith('--issue'))).toEqual([]);
      const issuing = render({
        major,
        values: {
          kafkaNamespaces: ['kafka', 'kafka-dev'],
          secretIssuer: {
            clusters: ['kafka/my-cp-cp-kafka', 'kafka-dev/dev-cp-kafka'],
            externalCluster: 'kafka/my-cp-cp-kafka',
          },
          rbac: { readPlanConfigMaps: false },
          webhooks: { validating: { scaleSubresource: false } },
        },
      });
      expect(container(issuing).args.slice(8)).toEqual([
        '--issue-secrets',
        '--ca-secret=kafka-warden/kafka-warden-ca',
        '--issuer-clusters=kafka/my-cp-cp-kafka,kafka-dev/dev-cp-kafka',
        '--issuer-external-cluster=kafka/my-cp-cp-kafka',
        '--issuer-interval=10',
        '--issuer-namespaces=kafka,kafka-dev',
      ]);
      const wide = render({
        major,
        values: {
          secretIssuer: {
            clusterWide: true,
            clusters: ['kafka/my-cp-cp-kafka'],
            caSecret: { name: 'root', namespace: 'platform' },
          },
        },
      });
      expect(container(wide).args.slice(8)).toEqual([
        '--issue-secrets',
        '--ca-secret=platform/root',
        '--issuer-clusters=kafka/my-cp-cp-kafka',
        '--issuer-interval=10',
      ]);
    });

    it('does not run the Secret issuer without a cluster named for it, whatever its scope', () => {
      for (const values of [
        { kafkaNamespaces: ['kafka'] },
        { secretIssuer: { clusterWide: true } },
      ]) {
        const args = container(render({ major, values })).args;
        expect(args.filter((a) => a.startsWith('--issue'))).toEqual([]);
      }
    });

    it.each([
      [
        'a cluster in a namespace the issuer does not cover',
        { kafkaNamespaces: ['kafka'], secretIssuer: { clusters: ['team-a/my-cp-cp-kafka'] } },
        'secretIssuer.clusters names team-a/my-cp-cp-kafka, but kafkaNamespaces does not list namespace team-a',
      ],
      [
        'an external cluster that is not named',
        {
          kafkaNamespaces: ['kafka'],
          secretIssuer: { clusters: ['kafka/a-cp-kafka'], externalCluster: 'kafka/b-cp-kafka' },
        },
        'secretIssuer.externalCluster kafka/b-cp-kafka is not one of secretIssuer.clusters',
      ],
      [
        'a cluster that is not NAMESPACE/STATEFULSET',
        { kafkaNamespaces: ['kafka'], secretIssuer: { clusters: ['my-cp-cp-kafka'] } },
        'clusters',
      ],
    ])('refuses %s', (_what, values, message) => {
      const run = templateRun({ major, values });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(message);
    });
  });

  describe('PodDisruptionBudget', () => {
    it('keeps one replica up (policy/v1)', () => {
      const pdb = find<K8sObject & { spec: Record<string, unknown> }>(
        objects,
        'PodDisruptionBudget',
      );
      expect(pdb.apiVersion).toBe('policy/v1');
      expect(pdb.spec).toEqual({
        minAvailable: 1,
        selector: {
          matchLabels: {
            'app.kubernetes.io/name': 'kafka-warden',
            'app.kubernetes.io/instance': 'kafka-warden',
          },
        },
      });
    });

    it('is left out with one replica, where it would block every node drain', () => {
      expect(kinds(render({ major, values: { replicaCount: 1 } }), 'PodDisruptionBudget')).toEqual(
        [],
      );
    });
  });

  describe('RBAC: exactly the least-privilege set', () => {
    const issuer = (ns: string) => [
      `${ns}: apps/statefulsets list`,
      // The pod template hash after a renewal; never update (a PUT of the whole object).
      `${ns}: apps/statefulsets patch`,
      `${ns}: apps/statefulsets watch`,
      `${ns}: core/secrets create`,
      `${ns}: core/secrets get`,
      // Client Secret requests, listed and watched by label.
      `${ns}: core/secrets list`,
      `${ns}: core/secrets update`,
      `${ns}: core/secrets watch`,
    ];

    it('default: get ConfigMaps and StatefulSets, list claims, cluster-wide, nothing else (the issuer has no namespace yet)', () => {
      // StatefulSets: `kubectl scale` sends a Scale; the server reads the StatefulSet to judge it.
      // Claims: a broker StatefulSet created again is compared with the claims its brokers left.
      expect(grants(objects)).toEqual([
        '*: apps/statefulsets get',
        '*: core/configmaps get',
        '*: core/persistentvolumeclaims list',
      ]);
      expect(find(objects, 'ClusterRoleBinding')).toMatchObject({
        roleRef: { kind: 'ClusterRole', name: 'kafka-warden' },
        subjects: [{ kind: 'ServiceAccount', name: 'kafka-warden', namespace: 'kafka-warden' }],
      });
    });

    it('with Kafka namespaces: one Role each (plan read, Secret issuer), the CA by name, nothing cluster-wide', () => {
      const namespaced = render({
        major,
        values: {
          kafkaNamespaces: ['kafka', 'kafka-dev'],
          secretIssuer: { clusters: ['kafka/my-cp-cp-kafka'] },
        },
      });
      expect(grants(namespaced)).toEqual(
        [
          ...issuer('kafka'),
          'kafka: core/configmaps get',
          'kafka: apps/statefulsets get',
          'kafka: core/persistentvolumeclaims list',
          ...issuer('kafka-dev'),
          'kafka-dev: core/configmaps get',
          'kafka-dev: apps/statefulsets get',
          'kafka-dev: core/persistentvolumeclaims list',
          'kafka-warden: core/secrets get [kafka-warden-ca]',
        ].sort(),
      );
      expect([
        ...kinds(namespaced, 'ClusterRole'),
        ...kinds(namespaced, 'ClusterRoleBinding'),
      ]).toEqual([]);
      expect(
        kinds(namespaced, 'RoleBinding')
          .map((b) => b.metadata.namespace)
          .sort(),
      ).toEqual(['kafka', 'kafka-dev', 'kafka-warden']);
    });

    it('without the Secret issuer: only the plan read, the StatefulSet read for kubectl scale and the claim list', () => {
      const noIssuer = render({
        major,
        values: {
          kafkaNamespaces: ['kafka'],
          secretIssuer: { enabled: false, clusters: ['kafka/my-cp-cp-kafka'] },
        },
      });
      expect(grants(noIssuer)).toEqual([
        'kafka: apps/statefulsets get',
        'kafka: core/configmaps get',
        'kafka: core/persistentvolumeclaims list',
      ]);
      // Enabled, but with no cluster named it does not run: no rights for it either.
      expect(grants(render({ major, values: { kafkaNamespaces: ['kafka'] } }))).toEqual(
        grants(noIssuer),
      );
      const noScale = render({
        major,
        values: {
          kafkaNamespaces: ['kafka'],
          secretIssuer: { enabled: false },
          webhooks: { validating: { scaleSubresource: false } },
        },
      });
      expect(grants(noScale)).toEqual([
        'kafka: core/configmaps get',
        'kafka: core/persistentvolumeclaims list',
      ]);
    });

    it('the issuer cluster-wide only when asked for', () => {
      const wide = render({
        major,
        values: { secretIssuer: { clusterWide: true, clusters: ['kafka/my-cp-cp-kafka'] } },
      });
      expect(grants(wide)).toEqual(
        [
          ...issuer('*'),
          '*: apps/statefulsets get',
          '*: core/configmaps get',
          '*: core/persistentvolumeclaims list',
          'kafka-warden: core/secrets get [kafka-warden-ca]',
        ].sort(),
      );
    });

    it('nothing at all with rbac.create false', () => {
      const none = render({
        major,
        values: { rbac: { create: false }, kafkaNamespaces: ['kafka'] },
      });
      expect(grants(none)).toEqual([]);
      expect([...kinds(none, 'RoleBinding'), ...kinds(none, 'ClusterRoleBinding')]).toEqual([]);
    });
  });

  describe('who can reach the webhook', () => {
    it("no NetworkPolicy by default (the API server address is the cluster operator's to give)", () => {
      expect(kinds(render({ major }), 'NetworkPolicy')).toEqual([]);
    });

    it('with the API server and metrics peers: ingress from them only, to the webhook port', () => {
      const apiServer = [{ ipBlock: { cidr: '10.0.0.0/28' } }];
      const metrics = [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      ];
      const policy = find<K8sObject & { spec: Record<string, unknown> }>(
        render({ major, values: { networkPolicy: { enabled: true, apiServer, metrics } } }),
        'NetworkPolicy',
      );
      expect(policy.spec).toEqual({
        podSelector: {
          matchLabels: {
            'app.kubernetes.io/name': 'kafka-warden',
            'app.kubernetes.io/instance': 'kafka-warden',
          },
        },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [...apiServer, ...metrics], ports: [{ port: 'https', protocol: 'TCP' }] },
        ],
      });
    });

    it('refuses a NetworkPolicy without the API server peers (it would drop every admission call)', () => {
      const run = templateRun({ major, values: { networkPolicy: { enabled: true } } });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('networkPolicy.enabled needs networkPolicy.apiServer');
    });

    it('with apiServerClientCA: serve asks callers for a certificate the mounted CA signed', () => {
      const objects = render({
        major,
        values: { apiServerClientCA: { configMap: 'apiserver-ca' } },
      });
      expect(container(objects).args).toContain('--client-ca=/etc/kafka-warden/client-ca/ca.crt');
      const deployment = find<K8sObject & { spec: { template: { spec: { volumes: unknown[] } } } }>(
        objects,
        'Deployment',
      );
      expect(deployment.spec.template.spec.volumes).toContainEqual({
        name: 'client-ca',
        configMap: { name: 'apiserver-ca' },
      });
      expect(container(render({ major })).args.some((a) => a.startsWith('--client-ca'))).toBe(
        false,
      );
    });
  });

  it('renders the policy and the injection configuration into their ConfigMaps', () => {
    const policy = { rules: { 'broker-scaling': { parameters: { requirePlanForScaleUp: true } } } };
    const injection = { tls: { enabled: false } };
    const custom = render({ major, values: { policy, injection } });
    const data = (name: string) =>
      find<K8sObject & { data: Record<string, string> }>(custom, 'ConfigMap', name).data;
    expect(load(data('kafka-warden-policy')['policy.yaml'] ?? '')).toEqual(policy);
    expect(load(data('kafka-warden-injection')['config.yaml'] ?? '')).toEqual(injection);
  });
});
