/**
 * webhook-config/ (plain kustomize manifests) and charts/kafka-warden must register the same
 * webhooks: the chart rendered as release kafka-warden in namespace kafka-warden with default
 * values is compared field by field with `kustomize build`, and the two overlays are built. The
 * roll gate's RBAC component must grant what the chart grants for rollGate.enabled, to the same
 * ServiceAccount.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import {
  HELM_MAJORS,
  WEBHOOK_CONFIG_DIR,
  find,
  grants,
  kinds,
  parseObjects,
  render,
  type K8sObject,
  type Webhook,
  type WebhookConfiguration,
} from './chart-support';

function kustomizeBinary(): string {
  const dir = process.env.KW_TOOLS_DIR ?? path.join(homedir(), '.cache', 'kafka-warden', 'tools');
  const binary = path.join(dir, 'bin', 'kustomize');
  if (!existsSync(binary)) throw new Error(`${binary} not found: run scripts/install-tools.sh`);
  return binary;
}

function kustomize(dir: string): K8sObject[] {
  const run = spawnSync(kustomizeBinary(), ['build', dir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`kustomize build ${dir} failed:\n${run.stderr}`);
  return parseObjects(run.stdout);
}

/** A webhook without what legitimately differs: the CA (filled in per cluster). */
function comparable(webhook: Webhook): Webhook {
  const clientConfig = { ...webhook.clientConfig };
  delete clientConfig.caBundle;
  const copy = { ...webhook, clientConfig };
  if (copy.matchConditions) {
    // The same CEL, whatever the line breaks of the YAML it sits in.
    copy.matchConditions = copy.matchConditions.map((c) => ({
      ...c,
      expression: c.expression.replace(/\s+/g, ' ').trim(),
    }));
  }
  return copy;
}

const KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'] as const;
const RBAC_KINDS = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];

/** `kustomize build` of base with components/roll-gate, as README.md tells users to add it. */
function baseWithRollGate(): K8sObject[] {
  const work = mkdtempSync(path.join(tmpdir(), 'kw-webhook-config-'));
  try {
    cpSync(WEBHOOK_CONFIG_DIR, path.join(work, 'webhook-config'), { recursive: true });
    mkdirSync(path.join(work, 'overlay'));
    writeFileSync(
      path.join(work, 'overlay', 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources: [../webhook-config/base]',
        'components: [../webhook-config/components/roll-gate]',
        '',
      ].join('\n'),
    );
    return kustomize(path.join(work, 'overlay'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface Binding extends K8sObject {
  roleRef: { kind: string; name: string };
  subjects: unknown[];
}

describe('webhook-config/', () => {
  const base = kustomize(path.join(WEBHOOK_CONFIG_DIR, 'base'));

  describe.each(HELM_MAJORS)('against the chart rendered by Helm %i', (major) => {
    const chart = render({ major });

    it.each(KINDS)('%s: the same webhooks, rules, selectors, conditions and policies', (kind) => {
      const plain = find<WebhookConfiguration>(base, kind);
      const rendered = find<WebhookConfiguration>(chart, kind);
      expect(plain.metadata.name).toBe(rendered.metadata.name);
      expect(plain.webhooks.map(comparable)).toEqual(rendered.webhooks.map(comparable));
      expect(plain.webhooks.every((w) => w.clientConfig.caBundle === undefined)).toBe(true);
    });

    it('cert-manager: the same annotation and certificate chain as the chart', () => {
      const overlay = kustomize(path.join(WEBHOOK_CONFIG_DIR, 'overlays', 'cert-manager'));
      const withCertManager = render({ major, values: { certManager: { enabled: true } } });
      for (const kind of KINDS) {
        expect(find(overlay, kind).metadata.annotations).toEqual(
          find(withCertManager, kind).metadata.annotations,
        );
      }
      const specs = (objects: K8sObject[]) =>
        [...kinds(objects, 'Issuer'), ...kinds(objects, 'Certificate')]
          .map((o) => ({ kind: o.kind, name: o.metadata.name, spec: o.spec }))
          .sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
      expect(specs(overlay)).toEqual(specs(withCertManager));
    });
  });

  describe.each(HELM_MAJORS)(
    'components/roll-gate against the chart rendered by Helm %i',
    (major) => {
      const live = { liveChecks: { enabled: true } };
      const withGate = render({ major, values: { ...live, rollGate: { enabled: true } } });
      const withoutGate = new Set(grants(render({ major, values: live })));
      const gated = baseWithRollGate();

      it('grants exactly what rollGate.enabled adds to the chart', () => {
        const added = grants(withGate).filter((g) => !withoutGate.has(g));
        // Not vacuous: the chart adds the pod, Service and Lease rights.
        expect(added.length).toBeGreaterThan(0);
        expect(grants(gated)).toEqual(added);
      });

      it("binds them to the chart's ServiceAccount, the Lease Role in the server's namespace", () => {
        const subjects = (objects: K8sObject[]) =>
          kinds(objects, 'ClusterRoleBinding')
            .concat(kinds(objects, 'RoleBinding'))
            .map((b) => (b as Binding).subjects);
        const chartSubjects = new Set(subjects(withGate).map((s) => JSON.stringify(s)));
        expect(new Set(subjects(gated).map((s) => JSON.stringify(s)))).toEqual(chartSubjects);
        const lease = find(withGate, 'Role', 'kafka-warden-roll-gate-lease');
        expect(find(gated, 'Role', lease.metadata.name).metadata.namespace).toBe(
          lease.metadata.namespace,
        );
        for (const binding of [
          ...kinds(gated, 'RoleBinding'),
          ...kinds(gated, 'ClusterRoleBinding'),
        ] as Binding[]) {
          expect(find(gated, binding.roleRef.kind, binding.roleRef.name)).toBeDefined();
        }
      });
    },
  );

  it('base: no RBAC (the roll gate is off unless its component is added)', () => {
    expect(base.filter((o) => RBAC_KINDS.includes(o.kind))).toEqual([]);
  });

  it('base: the namespace the Service reference names', () => {
    expect(find(base, 'Namespace').metadata.name).toBe('kafka-warden');
    for (const kind of KINDS) {
      expect(onlyService(find<WebhookConfiguration>(base, kind))).toMatchObject({
        name: 'kafka-warden',
        namespace: 'kafka-warden',
        port: 443,
      });
    }
  });

  it('overlays/ca-file: puts a given ca.crt into both caBundles and emits no Secret', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'kw-webhook-config-'));
    try {
      cpSync(WEBHOOK_CONFIG_DIR, path.join(work, 'webhook-config'), { recursive: true });
      const caPem = selfSignedPem();
      writeFileSync(path.join(work, 'webhook-config', 'overlays', 'ca-file', 'ca.crt'), caPem);
      const built = kustomize(path.join(work, 'webhook-config', 'overlays', 'ca-file'));
      expect(kinds(built, 'Secret')).toEqual([]);
      for (const kind of KINDS) {
        const bundle =
          find<WebhookConfiguration>(built, kind).webhooks[0]?.clientConfig.caBundle ?? '';
        // kustomize folds the base64 over lines; Go's base64 decoder (the API server's) skips newlines.
        const pem = Buffer.from(bundle.replace(/\s+/g, ''), 'base64').toString('utf8');
        expect(pem).toBe(caPem);
        expect(new X509Certificate(pem).subject).toContain('kafka-warden-test-ca');
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

function onlyService(config: WebhookConfiguration) {
  expect(config.webhooks).toHaveLength(1);
  return config.webhooks[0]?.clientConfig.service;
}

function selfSignedPem(): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(
    publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  );
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  const subject = [{ name: 'commonName', value: 'kafka-warden-test-ca' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: 'basicConstraints', cA: true }]);
  cert.sign(
    forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    forge.md.sha256.create(),
  );
  return forge.pki.certificateToPem(cert);
}
