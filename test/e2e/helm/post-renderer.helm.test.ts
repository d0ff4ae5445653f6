/**
 * The post-renderer behind real Helm: Helm 3 runs bin/kafka-warden-post-renderer, Helm 4 runs the
 * packaged plugin (dist/helm-plugin). Both chart packages, asserted on the objects Helm outputs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { IsolatedHelm, type HelmMajor } from '../../support/helm';
import { CHART_VERSIONS, REPO_ROOT, sharedDir } from '../../support/paths';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}
interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  command?: string[];
  readinessProbe?: unknown;
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

const chart = (version: string) =>
  path.join(sharedDir(), 'charts', `cp-helm-charts-${version}.tgz`);
const configDir = mkdtempSync(path.join(tmpdir(), 'kw-helm-config-'));
function config(name: string, text: string): string {
  const file = path.join(configDir, name);
  writeFileSync(file, text);
  return file;
}

const helms: Record<HelmMajor, IsolatedHelm> = { 3: new IsolatedHelm(3), 4: new IsolatedHelm(4) };

beforeAll(() => {
  const install = helms[4].run(['plugin', 'install', path.join(REPO_ROOT, 'dist', 'helm-plugin')]);
  expect(install.stderr + install.stdout).toContain('Installed plugin: kafka-warden');
});

function postRendererArgs(major: HelmMajor, args: string[]): string[] {
  const renderer =
    major === 3 ? path.join(REPO_ROOT, 'bin', 'kafka-warden-post-renderer') : 'kafka-warden';
  return ['--post-renderer', renderer, ...args.flatMap((a) => ['--post-renderer-args', a])];
}

function template(
  major: HelmMajor,
  version: string,
  opts: { release?: string; args?: string[]; renderer?: string[] } = {},
) {
  return helms[major].run([
    'template',
    opts.release ?? 'my-cp',
    chart(version),
    ...(opts.args ?? []),
    ...postRendererArgs(major, opts.renderer ?? []),
  ]);
}

function objects(stream: string): K8sObject[] {
  return parseAllDocuments(stream)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function podContainers(o: K8sObject): Container[] {
  return (o.spec.template as { spec: { containers: Container[] } }).spec.containers ?? [];
}
const env = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;
function brokerOf(list: K8sObject[]): { sts: K8sObject; broker: Container } {
  const sts = list.find(
    (o) => o.kind === 'StatefulSet' && podContainers(o).some((c) => c.name === 'cp-kafka-broker'),
  );
  if (!sts) throw new Error('no broker StatefulSet in the output');
  return { sts, broker: podContainers(sts).find((c) => c.name === 'cp-kafka-broker') as Container };
}

function expectDefaultInjection(list: K8sObject[], release: string) {
  const { sts, broker } = brokerOf(list);
  const script = broker.command?.[2] ?? '';
  expect(script).toContain(
    `SSL://\${POD_NAME}.${release === 'my-cp' ? 'my-cp-cp-kafka' : release}-headless`,
  );
  expect(script).not.toContain('EXTERNAL://');
  expect(env(broker, 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP')).toBe('PLAINTEXT:PLAINTEXT,SSL:SSL');
  expect(env(broker, 'KAFKA_SSL_CLIENT_AUTH')).toBe('required');
  expect(env(broker, 'KAFKA_SSL_KEYSTORE_TYPE')).toBe('PKCS12');
  expect(JSON.stringify(broker.env)).not.toMatch(/password/i);
  expect(broker.volumeMounts).toContainEqual(
    expect.objectContaining({ mountPath: '/etc/kafka/secrets' }),
  );
  const volumes = (
    sts.spec.template as { spec: { volumes: { name: string; secret?: { secretName: string } }[] } }
  ).spec.volumes;
  expect(volumes.map((v) => v.secret?.secretName)).toContain(`${sts.metadata.name}-broker-tls`);
  expect(broker.readinessProbe).toEqual(expect.objectContaining({ tcpSocket: { port: 9093 } }));
  const exporter = podContainers(sts).find((c) => c.name === 'prometheus-jmx-exporter');
  expect(exporter?.ports).toContainEqual({ containerPort: 5556, name: 'metrics' });
  const pdbs = list.filter((o) => o.kind === 'PodDisruptionBudget');
  expect(pdbs.map((p) => p.apiVersion)).toEqual(pdbs.map(() => 'policy/v1'));
  expect(pdbs.map((p) => p.metadata.name)).toContain(`${sts.metadata.name}-pdb`);
}

describe.each([3, 4] as const)('Helm %i with the post-renderer', (major) => {
  test.each(CHART_VERSIONS)(
    'helm template of cp-helm-charts %s: brokers get TLS, metrics, probes and budgets',
    (version) => {
      const result = template(major, version, {
        args: ['-f', path.join(sharedDir(), 'cp-helm-charts', 'values', 'default.yaml')],
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expectDefaultInjection(objects(result.stdout), 'my-cp');
    },
  );

  test('a release name that changes every resource name is still detected', () => {
    const result = template(major, '0.6.1', {
      release: 'cp-kafka-prod',
      args: ['-f', path.join(sharedDir(), 'cp-helm-charts', 'values', 'kafka-zk-only.yaml')],
    });
    expect(result.status).toBe(0);
    expectDefaultInjection(objects(result.stdout), 'cp-kafka-prod');
  });

  test("nodeport mode honours the chart's nodeport.firstListenerPort", () => {
    const result = template(major, '0.6.1', {
      args: [
        '--set',
        'cp-kafka.nodeport.enabled=true',
        '--set',
        'cp-kafka.nodeport.firstListenerPort=32000',
      ],
      renderer: [
        '--config',
        config('nodeport.yaml', 'listeners:\n  external:\n    mode: nodeport\n'),
      ],
    });
    expect(result.status).toBe(0);
    const list = objects(result.stdout);
    const { broker } = brokerOf(list);
    expect(broker.command?.[2]).toContain(
      'EXTERNAL_SSL://${HOST_IP}:$((32000 + ${KAFKA_BROKER_ID}))',
    );
    const nodePorts = list.filter((o) => o.kind === 'Service' && o.spec.type === 'NodePort');
    expect(
      nodePorts.map((s) => (s.spec.ports as { nodePort: number }[])[0]?.nodePort).sort(),
    ).toEqual([32000, 32001, 32002]);
  });

  test('--post-renderer-args reach the configuration: PLAINTEXT dropped, components switched to SSL', () => {
    const result = template(major, '0.6.1', {
      renderer: ['--config', config('tls-only.yaml', 'tls:\n  keepPlaintext: false\n')],
    });
    expect(result.status).toBe(0);
    const list = objects(result.stdout);
    const registry = list.find(
      (o) => o.kind === 'Deployment' && o.metadata.name.endsWith('schema-registry'),
    );
    const container = podContainers(registry as K8sObject).find(
      (c) => c.name === 'cp-schema-registry-server',
    ) as Container;
    expect(env(container, 'SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS')).toBe(
      'SSL://my-cp-cp-kafka-headless:9093',
    );
    expect(env(container, 'SCHEMA_REGISTRY_KAFKASTORE_SECURITY_PROTOCOL')).toBe('SSL');
    expect(brokerOf(list).broker.command?.[2]).not.toContain('PLAINTEXT://');
  });

  test('a failing post-renderer fails the helm command, and helm shows our message', () => {
    const logFile = path.join(configDir, `error-${major}.log`);
    const bad = config('bad.yaml', 'tls:\n  keepPlaintxt: false\n');
    const args = [
      'template',
      'my-cp',
      chart('0.6.1'),
      ...postRendererArgs(major, ['--config', bad]),
    ];
    // Helm 4 drops the plugin's stderr; the plugin writes to Helm's own stderr (a pipe here, as in
    // a terminal or CI log) and to a log file.
    const result = helms[major].run(args, { KAFKA_WARDEN_ERROR_LOG: logFile }, major === 4);
    expect(result.status).not.toBe(0);
    const shown = result.stdout + result.stderr;
    expect(shown).toContain('KW_CONFIG_INVALID');
    expect(shown).toContain('tls.keepPlaintxt: unknown field');
    expect(shown).not.toContain('kind: StatefulSet');
    if (major === 4) {
      expect(shown).toContain(logFile);
      expect(readFileSync(logFile, 'utf8')).toContain('tls.keepPlaintxt: unknown field');
    }
  });
});

describe.each([3, 4] as const)(
  'Helm %i refuses unsafe renders through the post-renderer',
  (major) => {
    test('podManagementPolicy Parallel on install: the helm command fails with the rule and the remedy', () => {
      const result = helms[major].run(
        [
          'template',
          'my-cp',
          chart('0.6.1'),
          '--set',
          'cp-kafka.podManagementPolicy=Parallel',
          ...postRendererArgs(major, []),
        ],
        { KAFKA_WARDEN_ERROR_LOG: path.join(configDir, `parallel-${major}.log`) },
        major === 4,
      );
      expect(result.status).not.toBe(0);
      const shown = result.stdout + result.stderr;
      expect(shown).toContain('KW_POLICY_DENIED');
      expect(shown).toContain('[ordered-ready]');
      expect(shown).not.toContain('kind: StatefulSet');
    });

    test('an upgrade to 5 brokers judged against the deployed release (--previous): refused without a plan', () => {
      const previous = template(major, '0.6.1', {});
      expect(previous.status).toBe(0);
      const deployed = path.join(configDir, `deployed-${major}.yaml`);
      writeFileSync(deployed, previous.stdout);
      const result = helms[major].run(
        [
          'template',
          'my-cp',
          chart('0.6.1'),
          '--set',
          'cp-kafka.brokers=5',
          ...postRendererArgs(major, ['--previous', deployed]),
        ],
        { KAFKA_WARDEN_ERROR_LOG: path.join(configDir, `brokers-${major}.log`) },
        major === 4,
      );
      expect(result.status).not.toBe(0);
      expect(result.stdout + result.stderr).toContain('[broker-scaling]');
    });
  },
);

describe('Helm 4 specifics', () => {
  test.each(CHART_VERSIONS)(
    'client-side helm install --dry-run of %s runs the plugin; hooks pass through unchanged',
    (version) => {
      const result = helms[4].run([
        'install',
        'my-cp',
        chart(version),
        '--dry-run=client',
        '-o',
        'json',
        ...postRendererArgs(4, []),
      ]);
      expect(result.status).toBe(0);
      const release = JSON.parse(result.stdout) as {
        manifest: string;
        hooks: { manifest: string }[];
      };
      expectDefaultInjection(objects(release.manifest), 'my-cp');
      const canary = release.hooks.map((h) => h.manifest).join('\n');
      expect(canary).toContain('canary');
      expect(canary).not.toContain('kafka-warden');
    },
  );

  test('documents kafka-warden adds land in the output with the rest of the release', () => {
    const result = template(4, '0.6.1', {});
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('name: my-cp-cp-kafka-pdb');
    expect(result.stdout).not.toContain('postrenderer.helm.sh/postrender-filename');
  });
});
