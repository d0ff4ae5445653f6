/**
 * `kafka-warden check` end to end: the built bundle, real renders, files written from them with
 * added env or annotations, the exit codes CI relies on, and the input errors a user must be told
 * about precisely (file, document, problem).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubeObject } from '../../../src/core/k8s-types';
import { dumpYaml11 } from '../../../src/manifests/yaml11';
import { parseManifests } from '../../../src/policy/parse-manifests';
import { REPO_ROOT } from '../../support/paths';
import { runCli } from '../../support/run-cli';
import {
  render,
  renderPath,
  withAnnotations,
  withBrokerContainer,
  withBrokerEnv,
  withPodAnnotations,
} from '../policy/fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'kw-check-'));

function file(name: string, content: string | KubeObject[]): string {
  const target = path.join(dir, name);
  const text =
    typeof content === 'string' ? content : content.map((o) => `---\n${dumpYaml11(o)}`).join('');
  writeFileSync(target, text);
  return target;
}

const PINNED = {
  KAFKA_INTER_BROKER_PROTOCOL_VERSION: '2.5',
  KAFKA_LOG_MESSAGE_FORMAT_VERSION: '2.5',
};

describe('kafka-warden check', () => {
  test('given a fresh install of the default release, exits 0 with a summary', () => {
    const result = runCli(['check', renderPath('0.6.1', 'default')]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'allowed: 2 workload(s) checked (2 CREATE), 0 denied; 0 denial(s), 0 warning(s), 0 audit(s)\n',
    );
  });

  test('given the 0.5.0 → 0.6.1 upgrade as released, exits 1 with one DENY line per failing rule', () => {
    const result = runCli([
      'check',
      '--old',
      renderPath('0.5.0', 'default'),
      renderPath('0.6.1', 'default'),
    ]);
    expect(result.status).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^DENY StatefulSet\/my-cp-cp-kafka kafka-version: .*KAFKA_INTER_BROKER_PROTOCOL_VERSION=2\.5/,
    );
    expect(lines[1]).toBe(
      'denied: 2 workload(s) checked (2 UPDATE), 1 denied; 1 denial(s), 0 warning(s), 0 audit(s)',
    );
  });

  test('given the safe two-step upgrade, allows each step', () => {
    const old = renderPath('0.5.0', 'default');
    const step1 = file('step1.yaml', withBrokerEnv(render('0.6.1', 'default'), PINNED));
    const step2 = file(
      'step2.yaml',
      withBrokerEnv(render('0.6.1', 'default'), {
        KAFKA_INTER_BROKER_PROTOCOL_VERSION: '2.7',
        KAFKA_LOG_MESSAGE_FORMAT_VERSION: '2.7',
      }),
    );
    expect(runCli(['check', '--old', old, step1]).status).toBe(0);
    expect(runCli(['check', '--old', step1, step2]).status).toBe(0);
  });

  test('--output json is a stable report with every finding', () => {
    const result = runCli([
      'check',
      '--output',
      'json',
      '--old',
      renderPath('0.6.1', 'default'),
      renderPath('0.6.1', 'zk5'),
    ]);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual([
      'apiVersion',
      'kind',
      'allowed',
      'summary',
      'results',
      'notices',
    ]);
    expect(report).toMatchObject({
      apiVersion: 'kafka-warden.io/v1alpha1',
      kind: 'CheckReport',
      allowed: false,
      summary: { workloads: 2, denied: 1, denials: 1, warnings: 0, audits: 0 },
      results: [
        {
          kind: 'StatefulSet',
          namespace: 'default',
          name: 'my-cp-cp-kafka',
          operation: 'UPDATE',
          allowed: true,
        },
        {
          name: 'my-cp-cp-zookeeper',
          allowed: false,
          denials: [{ rule: 'zookeeper-ensemble', outcome: 'fail', mode: 'enforce' }],
        },
      ],
    });
  });

  test('with a policy in warn mode, prints WARN and exits 0', () => {
    const policy = file('warn.yaml', 'rules:\n  zookeeper-ensemble:\n    mode: warn\n');
    const result = runCli([
      'check',
      '--policy',
      policy,
      '--old',
      renderPath('0.6.1', 'default'),
      renderPath('0.6.1', 'zk5'),
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^WARN StatefulSet\/my-cp-cp-zookeeper zookeeper-ensemble: /m);
  });

  test('with an exemption the running release has, prints AUDIT with the reason and exits 0', () => {
    const exempt = { 'kafka-warden.io/exempt-zookeeper-ensemble': 'DR drill' };
    const old = file(
      'default-exempt.yaml',
      withAnnotations(render('0.6.1', 'default'), 'cp-zookeeper-server', exempt),
    );
    const zk5 = file(
      'zk5-exempt.yaml',
      withAnnotations(render('0.6.1', 'zk5'), 'cp-zookeeper-server', exempt),
    );
    const result = runCli(['check', '--old', old, zk5]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      '(exempted: kafka-warden.io/exempt-zookeeper-ensemble: DR drill)',
    );
    expect(result.stdout).toMatch(/^AUDIT StatefulSet\/my-cp-cp-zookeeper zookeeper-ensemble: /m);
  });

  test('with an exemption only the new release adds, denies as the webhook does and says why', () => {
    const zk5 = file(
      'zk5-adds-exemption.yaml',
      withAnnotations(render('0.6.1', 'zk5'), 'cp-zookeeper-server', {
        'kafka-warden.io/exempt-zookeeper-ensemble': 'DR drill',
      }),
    );
    const result = runCli(['check', '--old', renderPath('0.6.1', 'default'), zk5]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^DENY StatefulSet\/my-cp-cp-zookeeper zookeeper-ensemble: /m);
    expect(result.stdout).toContain(
      'kafka-warden.io/exempt-zookeeper-ensemble is ignored: this change adds it',
    );
  });

  test('given brokers renamed on an unlisted image while scaling 5 → 3, judges them as the brokers they were', () => {
    const disguised = file(
      'disguised.yaml',
      withBrokerContainer(render('0.6.1', 'default'), {
        name: 'broker',
        image: 'registry.example/streaming/broker:6.1.0',
      }),
    );
    const result = runCli(['check', '--old', renderPath('0.6.1', 'brokers5'), disguised]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^DENY StatefulSet\/my-cp-cp-kafka broker-scaling: .*from 5 to 3/m,
    );
    expect(result.stdout).toMatch(/^DENY StatefulSet\/my-cp-cp-kafka workload-identity: /m);
    expect(result.stdout).toContain('(2 UPDATE)');
  });

  test('reads a reassignment plan from a ConfigMap among the new files', () => {
    const shrunk = file(
      'shrunk.yaml',
      withAnnotations(render('0.6.1', 'default'), 'cp-kafka-broker', {
        'kafka-warden.io/reassignment-plan-configmap': 'plan',
      }),
    );
    const plan = {
      version: 1,
      partitions: [{ topic: 'orders', partition: 0, replicas: [0, 1, 2] }],
    };
    const configMap = file('plan.yaml', [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'plan' },
        data: { 'plan.json': JSON.stringify(plan) },
      },
    ]);
    const old = renderPath('0.6.1', 'brokers5');
    expect(runCli(['check', '--old', old, shrunk]).status).toBe(1);
    expect(runCli(['check', '--old', old, shrunk, configMap]).status).toBe(0);
  });

  test('reads a plan ConfigMap named in cp-kafka.podAnnotations, where chart users can put it', () => {
    const shrunk = file(
      'shrunk-by-pod-annotation.yaml',
      withPodAnnotations(render('0.6.1', 'default'), 'cp-kafka-broker', {
        'kafka-warden.io/reassignment-plan-configmap': 'plan',
      }),
    );
    const configMap = file('pod-annotation-plan.yaml', [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'plan' },
        data: {
          'plan.json': JSON.stringify({
            version: 1,
            partitions: [{ topic: 'orders', partition: 0, replicas: [0, 1, 2] }],
          }),
        },
      },
    ]);
    const result = runCli(['check', '--old', renderPath('0.6.1', 'brokers5'), shrunk, configMap]);
    expect(result.status).toBe(0);
    // The plan in the pod template rolls brokers 0 to 2; without a probe that is a note, not a denial.
    expect(result.stdout).toContain('allowed: 2 workload(s) checked (2 UPDATE), 0 denied');
  });

  test('given podManagementPolicy changed in place, denies: the API server refuses it; says how to recreate', () => {
    const result = runCli([
      'check',
      '--old',
      renderPath('0.6.1', 'parallel'),
      renderPath('0.6.1', 'default'),
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^DENY StatefulSet\/my-cp-cp-kafka ordered-ready: .*are forbidden.*kubectl delete statefulset my-cp-cp-kafka --cascade=orphan/m,
    );
  });

  test('judges workloads missing from the new files as deleted', () => {
    const onlyConfig = file('config-only.yaml', [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
    ]);
    const result = runCli(['check', '--old', renderPath('0.6.1', 'default'), onlyConfig]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('DENY StatefulSet/my-cp-cp-kafka delete-protection: ');
    expect(result.stdout).toContain('(2 DELETE)');
  });

  test('reads standard input for -', () => {
    const stream = render('0.6.1', 'parallel')
      .map((o) => `---\n${dumpYaml11(o)}`)
      .join('');
    const result = runCli(['check', '-'], stream);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('DENY StatefulSet/my-cp-cp-kafka ordered-ready: ');
  });

  describe('listener migrations (listener-migration)', () => {
    const golden = (name: string) =>
      path.join(REPO_ROOT, 'test', 'golden', 'expected', '0.6.1', `${name}.yaml`);

    test('given the stock release → kafka-warden defaults (SSL added and replicated over in one roll), exits 1 naming the first roll', () => {
      const result = runCli(['check', '--old', renderPath('0.6.1', 'default'), golden('default')]);
      expect(result.status).toBe(1);
      const [deny, summary] = result.stdout.trimEnd().split('\n');
      expect(deny).toMatch(/^DENY StatefulSet\/my-cp-cp-kafka listener-migration: /);
      expect(deny).toContain('from PLAINTEXT to SSL in one roll');
      expect(deny).toContain('(1) add SSL to every broker and keep replicating over PLAINTEXT');
      expect(deny).toContain('tls.interBrokerListener: PLAINTEXT');
      expect(summary).toBe(
        'denied: 2 workload(s) checked (2 UPDATE), 1 denied; 1 denial(s), 0 warning(s), 0 audit(s)',
      );
    });

    test('given the two rolls it names, exits 0 for each', () => {
      const first = golden('default@interbroker-plaintext');
      expect(runCli(['check', '--old', renderPath('0.6.1', 'default'), first]).status).toBe(0);
      expect(runCli(['check', '--old', first, golden('default')]).status).toBe(0);
    });

    test('given the deployed TLS release → SASL with PLAINTEXT dropped, exits 1 naming sasl.keepSslListener', () => {
      const result = runCli([
        'check',
        '--old',
        golden('default@tls-only'),
        golden('default@sasl-tls-only'),
      ]);
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('listener-migration: ');
      expect(result.stdout).toContain('from SSL to SASL_SSL in one roll');
      expect(result.stdout).toContain('sasl.keepSslListener: true');
    });

    test('with the rule in warn mode, prints WARN and exits 0', () => {
      const policy = file('lm-warn.yaml', 'rules:\n  listener-migration:\n    mode: warn\n');
      const result = runCli([
        'check',
        '--policy',
        policy,
        '--old',
        renderPath('0.6.1', 'default'),
        golden('default'),
      ]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^WARN StatefulSet\/my-cp-cp-kafka listener-migration: /m);
    });

    test('an exemption the deployed release had counts (AUDIT); one the upgrade adds does not', () => {
      const exempt = { 'kafka-warden.io/exempt-listener-migration': 'CHG-31: empty cluster' };
      const deployed = file(
        'stock-exempt.yaml',
        withAnnotations(render('0.6.1', 'default'), 'cp-kafka-broker', exempt),
      );
      const upgraded = parseManifests(readFileSync(golden('default'), 'utf8'), 'default').map(
        (d) => d.object,
      );
      const next = file(
        'defaults-exempt.yaml',
        withAnnotations(upgraded, 'cp-kafka-broker', exempt),
      );
      const kept = runCli(['check', '--old', deployed, next]);
      expect(kept.status).toBe(0);
      expect(kept.stdout).toMatch(/^AUDIT StatefulSet\/my-cp-cp-kafka listener-migration: /m);
      const added = runCli(['check', '--old', renderPath('0.6.1', 'default'), next]);
      expect(added.status).toBe(1);
      expect(added.stdout).toContain('is ignored: this change adds it');
    });
  });

  test('--help exits 0', () => {
    const result = runCli(['check', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage: kafka-warden check');
  });
});

describe('kafka-warden check, given bad input, exits 2 and says exactly what is wrong', () => {
  const CASES: [name: string, args: () => string[], mentions: string[]][] = [
    ['no file', () => ['check'], ['KW_USAGE', 'no manifest file given']],
    [
      'an unknown option',
      () => ['check', '--strict', renderPath('0.6.1', 'default')],
      ['KW_USAGE', "'--strict'"],
    ],
    [
      'an unknown output format',
      () => ['check', '--output', 'xml', renderPath('0.6.1', 'default')],
      ['KW_USAGE', '--output must be text or json'],
    ],
    [
      'a file that does not exist',
      () => ['check', path.join(dir, 'missing.yaml')],
      ['KW_INPUT_READ', 'missing.yaml'],
    ],
    [
      'a file with invalid YAML in its second document',
      () => [
        'check',
        file(
          'bad.yaml',
          'kind: ConfigMap\n---\n# Source: chart/templates/sts.yaml\nkind: StatefulSet\n  bad: indent\n',
        ),
      ],
      ['KW_INPUT_YAML', 'bad.yaml: document 2 (line 2, chart/templates/sts.yaml)', 'at line 5'],
    ],
    [
      'a document that is not an object',
      () => ['check', file('scalar.yaml', '---\njust text\n')],
      ['KW_INPUT_NOT_MAPPING', 'scalar.yaml: document 1', 'a string'],
    ],
    [
      'an empty new file',
      () => ['check', file('empty.yaml', '# nothing\n')],
      ['KW_INPUT_EMPTY', 'empty.yaml holds no Kubernetes manifest'],
    ],
    [
      'the same release twice',
      () => ['check', renderPath('0.6.1', 'default'), renderPath('0.6.1', 'default')],
      [
        'KW_INPUT_DUPLICATE',
        'StatefulSet default/my-cp-cp-kafka appears twice',
        'default.yaml: document',
      ],
    ],
    [
      'an invalid policy',
      () => [
        'check',
        '--policy',
        file('policy.yaml', 'rules:\n  update-strategy:\n    parameters: {maxUnavailable: 0}\n'),
        renderPath('0.6.1', 'default'),
      ],
      ['KW_POLICY_INVALID', 'rules.update-strategy.parameters.maxUnavailable: must be >= 1'],
    ],
    [
      'a policy file that does not exist',
      () => ['check', '--policy', path.join(dir, 'nope.yaml'), renderPath('0.6.1', 'default')],
      ['KW_POLICY_READ', 'nope.yaml'],
    ],
  ];

  test.each(CASES)('%s', (_name, args, mentions) => {
    const result = runCli(args());
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    for (const mention of mentions) expect(result.stderr).toContain(mention);
  });

  test('an empty old file is a first install: everything is created', () => {
    const result = runCli([
      'check',
      '--old',
      file('none.yaml', ''),
      renderPath('0.6.1', 'default'),
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('(2 CREATE)');
  });
});
