import { parsePolicy } from '../../../src/config/load-policy';
import type { KubeObject, StatefulSetSpec } from '../../../src/core/k8s-types';
import type {
  ClusterRef,
  ClusterStateProbe,
  PartitionAtRisk,
  PartitionHealth,
} from '../../../src/policy/cluster-state';
import { evaluate } from '../../../src/policy/engine';
import { templateChanges } from '../../../src/policy/pod-template';
import { findingOf, findingsOf, kafka, update, zookeeper, type WorkloadShape } from './fixtures';

const STATUS = 'kafka-warden.io/status';

/** A test double of the injected interface: answers partition health as given, records questions. */
function probe(health: (signal: AbortSignal) => Promise<PartitionHealth>) {
  const asked: ClusterRef[] = [];
  const clusterState: ClusterStateProbe = {
    partitionHealth: (cluster, signal) => {
      asked.push(cluster);
      return health(signal);
    },
    replicasOnBrokers: () => Promise.reject(new Error('not asked in these tests')),
  };
  return { clusterState, asked };
}

function healthy(partitionCount = 12): PartitionHealth {
  return { partitionCount, liveBrokers: [0, 1, 2], atRisk: [] };
}

function atRisk(...partitions: PartitionAtRisk[]): PartitionHealth {
  return { partitionCount: 40, liveBrokers: [0, 1], atRisk: partitions };
}

function partition(
  name: string,
  replicas: number[],
  isr: number[],
  minIsr: number,
): PartitionAtRisk {
  return {
    name,
    replicas,
    isr,
    minIsr,
    underReplicated: isr.length < replicas.length,
    atMinIsr: isr.length <= minIsr,
  };
}

const before = () => kafka();
const imageChange = () =>
  update(before(), kafka({ image: 'confluentinc/cp-enterprise-kafka:6.1.1' }));

describe('rule rolling-restart', () => {
  test('given an update that leaves the pod template alone, passes without asking the cluster', async () => {
    const { clusterState, asked } = probe(() => Promise.resolve(healthy()));
    const finding = await findingOf('rolling-restart', update(before(), kafka({ replicas: 5 })), {
      clusterState,
    });
    expect(finding.outcome).toBe('pass');
    expect(finding.summary).toContain('pod template unchanged');
    expect(asked).toEqual([]);
  });

  test('given a template change and no probe, skips with a note and allows', async () => {
    const verdict = await evaluate(imageChange());
    expect(verdict.allowed).toBe(true);
    const finding = verdict.findings.find((f) => f.rule === 'rolling-restart');
    expect(finding?.outcome).toBe('skip');
    expect(finding?.message).toContain('spec.containers[cp-kafka-broker].image');
    expect(finding?.message).toContain('--kafka-tls-dir');
  });

  test('given a template change and a healthy cluster, allows, having asked about this cluster', async () => {
    const { clusterState, asked } = probe(() => Promise.resolve(healthy()));
    const finding = await findingOf('rolling-restart', imageChange(), { clusterState });
    expect(finding.outcome).toBe('pass');
    expect(finding.message).toContain('all 12 partition(s) in sync');
    expect(asked).toEqual([
      { namespace: 'kafka', statefulSet: 'my-cp-cp-kafka', serviceName: 'my-cp-cp-kafka-headless' },
    ]);
  });

  test('given under-replicated partitions, denies naming them, why, and how to proceed', async () => {
    const { clusterState } = probe(() =>
      Promise.resolve(
        atRisk(
          partition('orders-0', [0, 1, 2], [0, 1], 2),
          partition('orders-3', [2, 0, 1], [0], 2),
        ),
      ),
    );
    const verdict = await evaluate(imageChange(), { clusterState });
    expect(verdict.allowed).toBe(false);
    const finding = verdict.denials[0];
    expect(finding?.rule).toBe('rolling-restart');
    expect(finding?.summary).toBe('rolling restart: 2 partition(s) under-replicated or at min ISR');
    for (const text of [
      'restarts every broker one by one',
      '2 of 40 partition(s) at risk (2 under-replicated)',
      'orders-0 (ISR [0,1] of replicas [0,1,2], min.insync.replicas 2)',
      'orders-3 (ISR [0] of replicas [2,0,1], min.insync.replicas 2)',
      'acks=all',
      'wait until every partition is back in sync',
      'kafka-warden.io/exempt-rolling-restart',
    ]) {
      expect(finding?.message).toContain(text);
    }
  });

  test('names at most maxPartitionsNamed partitions, then how many more', async () => {
    const many = Array.from({ length: 30 }, (_, p) => partition(`t-${p}`, [0, 1, 2], [0, 1], 1));
    const { clusterState } = probe(() => Promise.resolve(atRisk(...many)));
    const policy = parsePolicy(
      'rules: {rolling-restart: {parameters: {maxPartitionsNamed: 2}}}',
      'p.yaml',
    );
    const finding = await findingOf('rolling-restart', imageChange(), { clusterState, policy });
    expect(finding.message).toContain(
      't-1 (ISR [0,1] of replicas [0,1,2]) and 28 more partition(s)',
    );
  });

  describe('partitions whose replication factor is at or below min.insync.replicas', () => {
    const single = () =>
      atRisk(partition('scratch-0', [1], [1], 1), partition('pair-0', [0, 1], [0, 1], 2));

    test('warn by default: always at min ISR, waiting does not help', async () => {
      const { clusterState } = probe(() => Promise.resolve(single()));
      const verdict = await evaluate(imageChange(), { clusterState });
      expect(verdict.allowed).toBe(true);
      const finding = verdict.findings.find((f) => f.rule === 'rolling-restart');
      expect(finding?.outcome).toBe('warn');
      expect(finding?.message).toContain('scratch-0');
      expect(finding?.message).toContain('replication factor 1: takes them offline');
      expect(verdict.warnings).toEqual([
        'rolling-restart: rolling restart: 2 partition(s) have replicas ≤ min ISR',
      ]);
    });

    test('deny with lowReplicationFactor: fail', async () => {
      const { clusterState } = probe(() => Promise.resolve(single()));
      const policy = parsePolicy(
        'rules: {rolling-restart: {parameters: {lowReplicationFactor: fail}}}',
        'p.yaml',
      );
      const verdict = await evaluate(imageChange(), { clusterState, policy });
      expect(verdict.allowed).toBe(false);
    });

    test('pass with lowReplicationFactor: ignore, saying they were not counted', async () => {
      const { clusterState } = probe(() => Promise.resolve(single()));
      const policy = parsePolicy(
        'rules: {rolling-restart: {parameters: {lowReplicationFactor: ignore}}}',
        'p.yaml',
      );
      const finding = await findingOf('rolling-restart', imageChange(), { clusterState, policy });
      expect(finding.outcome).toBe('pass');
      expect(finding.message).toContain('2 with replicas ≤ min ISR not counted');
    });

    test('an under-replicated one among them still denies', async () => {
      const { clusterState } = probe(() =>
        Promise.resolve(atRisk(partition('pair-0', [0, 1], [0], 2))),
      );
      const verdict = await evaluate(imageChange(), { clusterState });
      expect(verdict.allowed).toBe(false);
    });
  });

  test('given a probe that fails and the default failOpen, allows with a warning that the roll was not checked', async () => {
    const { clusterState } = probe(() => Promise.reject(new Error('connection refused')));
    const verdict = await evaluate(imageChange(), { clusterState });
    expect(verdict.allowed).toBe(true);
    expect(verdict.warnings[0]).toContain('rolling restart not checked');
    const finding = verdict.findings.find((f) => f.rule === 'rolling-restart');
    expect(finding?.message).toContain('clusterState.failOpen is true');
  });

  test("given the rule's own clusterState failing closed, denies at its deadline and aborts the question", async () => {
    let aborted = false;
    const { clusterState } = probe(
      (signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    );
    const policy = parsePolicy(
      'rules: {rolling-restart: {clusterState: {timeoutMs: 20, failOpen: false}}}',
      'p.yaml',
    );
    const finding = await findingOf('rolling-restart', imageChange(), { clusterState, policy });
    expect(finding.outcome).toBe('fail');
    expect(finding.message).toContain('took longer than 20 ms');
    expect(finding.message).toContain('(rules.rolling-restart.clusterState.failOpen: false)');
    expect(aborted).toBe(true);
  });

  test('given the exemption annotation on the StatefulSet, the denial is audited and the change allowed', async () => {
    const { clusterState } = probe(() =>
      Promise.resolve(atRisk(partition('orders-0', [0, 1, 2], [0, 1], 2))),
    );
    const exempt = { 'kafka-warden.io/exempt-rolling-restart': 'this change fixes broker 2' };
    const verdict = await evaluate(
      update(
        kafka({ annotations: exempt }),
        kafka({ image: 'confluentinc/cp-enterprise-kafka:6.1.1', annotations: exempt }),
      ),
      { clusterState },
    );
    expect(verdict.allowed).toBe(true);
    expect(verdict.audits.map((f) => f.exempted)).toEqual([
      'kafka-warden.io/exempt-rolling-restart: this change fixes broker 2',
    ]);
  });

  test.each<[string, Partial<StatefulSetSpec>]>([
    ['updateStrategy OnDelete', { updateStrategy: { type: 'OnDelete' } }],
    [
      'a rollingUpdate.partition above every ordinal',
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 3 } } },
    ],
  ])('given %s, a template change restarts nothing: passes without asking', async (_name, spec) => {
    const { clusterState, asked } = probe(() => Promise.resolve(healthy()));
    const finding = await findingOf(
      'rolling-restart',
      update(kafka({ spec }), kafka({ spec, image: 'confluentinc/cp-enterprise-kafka:6.1.1' })),
      { clusterState },
    );
    expect(finding.outcome).toBe('pass');
    expect(asked).toEqual([]);
  });

  test('has nothing to say about ZooKeeper', async () => {
    const findings = await findingsOf(
      'rolling-restart',
      update(zookeeper(), zookeeper({ image: 'confluentinc/cp-zookeeper:6.1.1' })),
    );
    expect(findings).toEqual([]);
  });
});

describe('templateChanges', () => {
  function template(object: KubeObject): unknown {
    return (object.spec as StatefulSetSpec).template;
  }

  function withTemplate(
    shape: WorkloadShape,
    edit: (t: Record<string, unknown>) => void,
  ): KubeObject {
    const object = kafka(shape);
    edit((object.spec as StatefulSetSpec).template as Record<string, unknown>);
    return object;
  }

  /** What the API server adds to a pod template, as `kubectl get -o yaml` shows it. */
  function defaulted(t: Record<string, unknown>): void {
    const spec = t.spec as Record<string, unknown>;
    Object.assign(spec, {
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
      volumes: [{ name: 'tls', secret: { secretName: 'kafka-tls', defaultMode: 420 } }],
    });
    const [container] = spec.containers as Record<string, unknown>[];
    Object.assign(container as Record<string, unknown>, {
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      resources: {},
      ports: [{ name: 'kafka', containerPort: 9092, protocol: 'TCP' }],
      readinessProbe: {
        tcpSocket: { port: 9093 },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
    });
    t.metadata = { ...(t.metadata as object), creationTimestamp: null };
  }

  function plain(t: Record<string, unknown>): void {
    const spec = t.spec as Record<string, unknown>;
    spec.volumes = [{ name: 'tls', secret: { secretName: 'kafka-tls' } }];
    const [container] = spec.containers as Record<string, unknown>[];
    Object.assign(container as Record<string, unknown>, {
      ports: [{ name: 'kafka', containerPort: 9092 }],
      readinessProbe: { tcpSocket: { port: 9093 } },
    });
  }

  test('does not count fields the API server fills in with their defaults', () => {
    expect(
      templateChanges(template(withTemplate({}, defaulted)), template(withTemplate({}, plain))),
    ).toEqual([]);
  });

  test('counts a default changed to something else', () => {
    const other = withTemplate({}, (t) => {
      defaulted(t);
      (
        (t.spec as { containers: Record<string, unknown>[] }).containers[0] as Record<
          string,
          unknown
        >
      ).imagePullPolicy = 'Always';
    });
    expect(templateChanges(template(withTemplate({}, plain)), template(other))).toEqual([
      'spec.containers[cp-kafka-broker].imagePullPolicy',
    ]);
  });

  test('reads imagePullPolicy defaults as Kubernetes does (Always for :latest or no tag)', () => {
    const latest = (policy?: string) =>
      template(
        withTemplate({ image: 'confluentinc/cp-kafka:latest' }, (t) => {
          if (policy)
            (
              (t.spec as { containers: Record<string, unknown>[] }).containers[0] as Record<
                string,
                unknown
              >
            ).imagePullPolicy = policy;
        }),
      );
    expect(templateChanges(latest(), latest('Always'))).toEqual([]);
    expect(templateChanges(latest(), latest('IfNotPresent'))).toEqual([
      'spec.containers[cp-kafka-broker].imagePullPolicy',
    ]);
  });

  test("compares kafka-warden's injection record by content, not by spelling", () => {
    const record = (text: string) =>
      template(withTemplate({}, (t) => (t.metadata = { annotations: { [STATUS]: text } })));
    const a = record('{"version":1,"role":"kafka","env":{"b":["X"]}}');
    const b = record('{"role": "kafka", "env": {"b": ["X"]}, "version": 1}');
    const c = record('{"version":1,"role":"kafka","env":{"b":["X","Y"]}}');
    expect(templateChanges(a, b)).toEqual([]);
    expect(templateChanges(a, c)).toEqual([`metadata.annotations.${STATUS}.env.b`]);
  });

  test('counts any other annotation or env change (it rolls the pods)', () => {
    const hash = (value: string) =>
      template(
        withTemplate(
          {},
          (t) => (t.metadata = { annotations: { 'kafka-warden.io/tls-content-hash': value } }),
        ),
      );
    expect(templateChanges(hash('a'), hash('b'))).toEqual([
      'metadata.annotations.kafka-warden.io/tls-content-hash',
    ]);
    expect(
      templateChanges(template(kafka({ env: { A: '1' } })), template(kafka({ env: { A: '2' } }))),
    ).toEqual(['spec.containers[cp-kafka-broker].env[A].value']);
  });
});
