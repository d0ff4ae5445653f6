import type { KubeObject } from '../../../src/core/k8s-types';
import { parsePolicy } from '../../../src/config/load-policy';
import type { ClusterRef, ClusterStateProbe } from '../../../src/policy/cluster-state';
import { evaluate, type EngineOptions } from '../../../src/policy/engine';
import { configMapPlanSource, type PlanSource } from '../../../src/policy/plan-source';
import type { VolumeClaimSource } from '../../../src/policy/volume-claims';
import { create, findingOf, findingsOf, kafka, remove, update, zookeeper } from './fixtures';

const PLAN = 'kafka-warden.io/reassignment-plan';
const PLAN_CM = 'kafka-warden.io/reassignment-plan-configmap';
const ACK = 'kafka-warden.io/scale-up-acknowledged';

function plan(...partitions: [topic: string, partition: number, replicas: number[]][]): string {
  return JSON.stringify({
    version: 1,
    partitions: partitions.map(([topic, partition, replicas]) => ({ topic, partition, replicas })),
  });
}

const OFF_3_AND_4 = plan(['orders', 0, [0, 1, 2]], ['orders', 1, [1, 2, 0]]);
const ONTO_3_AND_4 = plan(['orders', 0, [3, 1, 2]], ['orders', 1, [4, 2, 0]]);

function brokers(replicas: number, annotations?: Record<string, string>): KubeObject {
  return kafka({ replicas, ...(annotations ? { annotations } : {}) });
}

function planConfigMap(name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'kafka' }, data };
}

const CASES: [
  name: string,
  from: number,
  to: number,
  annotations: Record<string, string> | undefined,
  outcome: 'pass' | 'fail',
  mentions: string[],
  options?: EngineOptions,
][] = [
  ['given an unchanged broker count, passes', 3, 3, undefined, 'pass', ['unchanged']],
  [
    'given a scale-down without a plan, denies and says how to move the replicas first',
    5,
    3,
    undefined,
    'fail',
    [
      'deletes brokers 3, 4',
      'offline',
      'kafka-warden plan --bootstrap-server',
      '--brokers 3',
      '--execute',
      '--verify',
      PLAN,
      PLAN_CM,
    ],
  ],
  [
    'given a scale-down with an inline plan that empties the removed brokers, allows',
    5,
    3,
    { [PLAN]: OFF_3_AND_4 },
    'pass',
    ['moves 2 partition(s) off brokers 3, 4', '--verify'],
  ],
  [
    'given a scale-down whose plan leaves a replica on a removed broker, denies naming the partition',
    5,
    3,
    { [PLAN]: plan(['orders', 0, [0, 1, 2]], ['payments', 3, [4, 0, 1]]) },
    'fail',
    ['payments-3', 'leaves replicas', 'brokers 3, 4'],
  ],
  [
    'given a scale-down whose plan names a broker that does not exist, denies',
    5,
    3,
    { [PLAN]: plan(['orders', 0, [0, 1, 7]]) },
    'fail',
    ['7', 'does not have'],
  ],
  [
    'given a scale-down with an empty plan, denies: it proves nothing',
    5,
    3,
    { [PLAN]: plan() },
    'fail',
    ['moves nothing'],
  ],
  [
    'given a plan that is not JSON, denies naming the parse problem',
    5,
    3,
    { [PLAN]: '{"version": 1,' },
    'fail',
    ['not valid JSON'],
  ],
  [
    'given a plan of another format version, denies',
    5,
    3,
    { [PLAN]: '{"version":2,"partitions":[]}' },
    'fail',
    ['"version" must be 1'],
  ],
  [
    'given a plan listing a broker twice for one partition, denies',
    5,
    3,
    { [PLAN]: plan(['t', 0, [1, 1]]) },
    'fail',
    ['lists a broker twice'],
  ],
  [
    'given both plan annotations, denies: one source only',
    5,
    3,
    { [PLAN]: OFF_3_AND_4, [PLAN_CM]: 'plan' },
    'fail',
    ['not both'],
  ],
  [
    'given a scale-down with the plan in a ConfigMap, allows',
    5,
    3,
    { [PLAN_CM]: 'scale-down-plan' },
    'pass',
    ['ConfigMap kafka/scale-down-plan key plan.json'],
    {
      planSource: configMapPlanSource(
        [planConfigMap('scale-down-plan', { 'plan.json': OFF_3_AND_4 })],
        'kafka',
      ),
    },
  ],
  [
    'given a plan ConfigMap that does not exist, denies',
    5,
    3,
    { [PLAN_CM]: 'nowhere' },
    'fail',
    ['ConfigMap kafka/nowhere does not exist'],
  ],
  [
    'given a plan ConfigMap without plan.json, denies naming the keys it has',
    5,
    3,
    { [PLAN_CM]: 'wrong-key' },
    'fail',
    ['has no key plan.json (it has reassign.json)'],
    {
      planSource: configMapPlanSource(
        [planConfigMap('wrong-key', { 'reassign.json': OFF_3_AND_4 })],
        'kafka',
      ),
    },
  ],
  [
    'given a plan source that fails, denies naming the failure',
    5,
    3,
    { [PLAN_CM]: 'plan' },
    'fail',
    ['could not be read: connection refused'],
    { planSource: { readConfigMap: () => Promise.reject(new Error('connection refused')) } },
  ],
  [
    'given a plan source that hangs, denies after the lookup deadline',
    5,
    3,
    { [PLAN_CM]: 'plan' },
    'fail',
    ['took longer than 20 ms'],
    {
      planSource: { readConfigMap: () => new Promise(() => undefined) } satisfies PlanSource,
      policy: parsePolicy('lookups: {timeoutMs: 20}', 'p.yaml'),
    },
  ],
  [
    'given a scale-up without plan or acknowledgement, denies: new brokers start empty',
    3,
    5,
    undefined,
    'fail',
    ['adds brokers 3, 4', 'start empty', '--broker-list 0,1,2,3,4', ACK],
  ],
  [
    'given a scale-up acknowledged with a reason, allows',
    3,
    5,
    { [ACK]: 'brokers for the new audit topics' },
    'pass',
    ['acknowledged: brokers for the new audit topics'],
  ],
  [
    'given a scale-up acknowledged with an empty reason, denies and says the reason is missing',
    3,
    5,
    { [ACK]: ' ' },
    'fail',
    ['present but empty'],
  ],
  [
    'given a scale-up with a plan that moves partitions onto the new brokers, allows',
    3,
    5,
    { [PLAN]: ONTO_3_AND_4 },
    'pass',
    ['onto brokers 3, 4'],
  ],
  [
    'given a scale-up with a plan that moves nothing onto the new brokers, denies',
    3,
    5,
    { [PLAN]: OFF_3_AND_4 },
    'fail',
    ['moves nothing onto the new brokers 3, 4'],
  ],
  [
    'given a scale-up with a plan naming a broker beyond the new count, denies',
    3,
    5,
    { [PLAN]: plan(['t', 0, [3, 5]]) },
    'fail',
    ['will not exist (5)'],
  ],
  [
    'given requirePlanForScaleUp, an acknowledgement is not enough',
    3,
    5,
    { [ACK]: 'new topics only' },
    'fail',
    ['not enough under this policy', 'requires a plan'],
    {
      policy: parsePolicy(
        'rules: {broker-scaling: {parameters: {requirePlanForScaleUp: true}}}',
        'p.yaml',
      ),
    },
  ],
];

describe('rule broker-scaling', () => {
  // A rest parameter: with a declared arity above a row's length, Jest would pass a done callback.
  test.each(CASES)('%s', async (...[, from, to, annotations, outcome, mentions, options]) => {
    const finding = await findingOf(
      'broker-scaling',
      update(brokers(from), brokers(to, annotations)),
      options,
    );
    expect(finding.outcome).toBe(outcome);
    for (const text of mentions) expect(`${finding.summary}\n${finding.message}`).toContain(text);
  });

  test.each([
    ['a scale-up to 2^31 - 1', 3, 2147483647],
    ['a scale-down from 10,000,000', 10_000_000, 2],
    ['a scale-up to 1001', 3, 1001],
    ['a fractional count', 3, 2.5],
    ['a negative count', 3, -1],
  ])(
    'given %s, denies before any per-broker work, naming the count and the bound',
    async (_name, from, to) => {
      const started = process.hrtime.bigint();
      const finding = await findingOf('broker-scaling', update(brokers(from), brokers(to)));
      expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
      expect(finding.outcome).toBe('fail');
      expect(finding.message).toContain('whole numbers from 0 to 1000');
      expect(finding.message.length).toBeLessThan(600);
    },
  );

  test('given a ZooKeeper replica change, has nothing to say (that is zookeeper-ensemble)', async () => {
    const findings = await findingsOf(
      'broker-scaling',
      update(zookeeper({ replicas: 3 }), zookeeper({ replicas: 5 })),
    );
    expect(findings).toEqual([]);
  });
});

describe('rule broker-scaling with a cluster-state probe', () => {
  const scaleDownWithPlan = update(brokers(5), brokers(3, { [PLAN]: OFF_3_AND_4 }));
  const scaleDown = update(brokers(5), brokers(3));

  function probe(
    replicas: (
      ids: readonly number[],
      signal: AbortSignal,
    ) => Promise<ReadonlyMap<number, readonly string[]>>,
  ) {
    const asked: { cluster: ClusterRef; ids: readonly number[] }[] = [];
    const clusterState: ClusterStateProbe = {
      partitionHealth: () => Promise.reject(new Error('not asked in these tests')),
      replicasOnBrokers: (cluster, ids, signal) => {
        asked.push({ cluster, ids });
        return replicas(ids, signal);
      },
    };
    return { clusterState, asked };
  }

  test('asks about exactly the removed brokers of this cluster, and allows when they are empty', async () => {
    const { clusterState, asked } = probe(() => Promise.resolve(new Map()));
    const finding = await findingOf('broker-scaling', scaleDownWithPlan, { clusterState });
    expect(finding.outcome).toBe('pass');
    expect(finding.message).toContain('the cluster confirms brokers 3, 4 host no replica');
    expect(asked).toEqual([
      {
        cluster: {
          namespace: 'kafka',
          statefulSet: 'my-cp-cp-kafka',
          serviceName: 'my-cp-cp-kafka-headless',
        },
        ids: [3, 4],
      },
    ]);
  });

  test('given empty brokers and no plan annotation, allows: the live state is the truth', async () => {
    const { clusterState } = probe(() => Promise.resolve(new Map([[3, []]])));
    const finding = await findingOf('broker-scaling', scaleDown, { clusterState });
    expect(finding.outcome).toBe('pass');
    expect(finding.summary).toBe(
      'scale-down 5 → 3: the cluster confirms brokers 3, 4 host no replica',
    );
  });

  test('given removed brokers that still host replicas, denies naming topics and partitions, even with a valid plan', async () => {
    const { clusterState } = probe(() =>
      Promise.resolve(
        new Map([
          [3, ['orders-0', 'my-audit-log-2']],
          [4, ['orders-0', 'orders-1']],
        ]),
      ),
    );
    for (const request of [scaleDown, scaleDownWithPlan]) {
      const finding = await findingOf('broker-scaling', request, { clusterState });
      expect(finding.outcome).toBe('fail');
      expect(finding.summary).toBe(
        'scale-down 5 → 3: brokers 3, 4 still host 4 replica(s) of 3 partition(s)',
      );
      expect(finding.message).toContain('topics my-audit-log, orders');
      expect(finding.message).toContain(
        'my-audit-log-2 (broker 3), orders-0 (brokers 3, 4), orders-1 (broker 4)',
      );
      expect(finding.message).toContain('kafka-warden plan --bootstrap-server');
      expect(finding.message).toContain('--brokers 3 > plan.json');
      expect(finding.message).toContain('--execute');
      expect(finding.message).toContain('--verify');
      expect(finding.message).toContain('no plan annotation is needed');
    }
  });

  test('names at most maxPartitionsNamed partitions, then how many more', async () => {
    const names = Array.from({ length: 25 }, (_, p) => `orders-${p}`);
    const { clusterState } = probe(() => Promise.resolve(new Map([[4, names]])));
    const policy = parsePolicy(
      'rules: {broker-scaling: {parameters: {maxPartitionsNamed: 3}}}',
      'p.yaml',
    );
    const finding = await findingOf('broker-scaling', scaleDown, { clusterState, policy });
    expect(finding.message).toContain(
      'orders-0 (broker 4), orders-1 (broker 4), orders-2 (broker 4) and 22 more partition(s)',
    );
  });

  test('given a probe that fails and the default failOpen, judges by the plan and notes the failure', async () => {
    const { clusterState } = probe(() => Promise.reject(new Error('no route to broker')));
    const allowed = await findingOf('broker-scaling', scaleDownWithPlan, { clusterState });
    expect(allowed.outcome).toBe('pass');
    expect(allowed.message).toContain('the live check failed (no route to broker)');
    expect(allowed.message).toContain('clusterState.failOpen is true');
    const denied = await findingOf('broker-scaling', scaleDown, { clusterState });
    expect(denied.outcome).toBe('fail');
    expect(denied.message).toContain('without it a plan is required');
  });

  test('given a probe that outlives its deadline and failOpen false, denies and aborts the question', async () => {
    let aborted = false;
    const { clusterState } = probe(
      (_ids, signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    );
    const policy = parsePolicy('clusterState: {timeoutMs: 20, failOpen: false}', 'p.yaml');
    const finding = await findingOf('broker-scaling', scaleDownWithPlan, { clusterState, policy });
    expect(finding.outcome).toBe('fail');
    expect(finding.message).toContain('took longer than 20 ms');
    expect(finding.message).toContain('(clusterState.failOpen: false)');
    expect(aborted).toBe(true);
  });

  test("uses the rule's own clusterState over the policy-wide one, and names it", async () => {
    const { clusterState } = probe(() => new Promise(() => undefined));
    const policy = parsePolicy(
      [
        'clusterState: {timeoutMs: 5000, failOpen: true}',
        'rules: {broker-scaling: {clusterState: {timeoutMs: 15, failOpen: false}}}',
      ].join('\n'),
      'p.yaml',
    );
    const started = Date.now();
    const finding = await findingOf('broker-scaling', scaleDownWithPlan, { clusterState, policy });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(finding.outcome).toBe('fail');
    expect(finding.message).toContain('took longer than 15 ms');
    expect(finding.message).toContain('(rules.broker-scaling.clusterState.failOpen: false)');
  });

  test('given a scale-up without plan or acknowledgement, allows with a warning that the new brokers stay empty', async () => {
    const { clusterState, asked } = probe(() => Promise.resolve(new Map()));
    const verdict = await evaluate(update(brokers(3), brokers(5)), { clusterState });
    expect(verdict.allowed).toBe(true);
    const finding = verdict.findings.find((f) => f.rule === 'broker-scaling');
    expect(finding?.outcome).toBe('warn');
    expect(finding?.message).toContain('kafka-warden plan --bootstrap-server');
    expect(finding?.message).toContain('--brokers 5');
    expect(verdict.warnings).toEqual([
      'broker-scaling: scale-up 3 → 5: brokers 3, 4 stay empty until a reassignment (kafka-warden plan --brokers 5)',
    ]);
    expect(verdict.warnings[0]?.length).toBeLessThanOrEqual(120);
    expect(asked).toEqual([]);
  });

  test('given a scale-up under requirePlanForScaleUp, a probe changes nothing: a plan is still needed', async () => {
    const { clusterState } = probe(() => Promise.resolve(new Map()));
    const policy = parsePolicy(
      'rules: {broker-scaling: {parameters: {requirePlanForScaleUp: true}}}',
      'p.yaml',
    );
    const finding = await findingOf('broker-scaling', update(brokers(3), brokers(5)), {
      clusterState,
      policy,
    });
    expect(finding.outcome).toBe('fail');
    expect(finding.message).toContain('requires a plan');
  });
});

describe('rule broker-scaling on CREATE: a StatefulSet deleted and created with fewer brokers', () => {
  const DATA = { volumeClaimTemplates: [{ metadata: { name: 'datadir-0' } }] };
  const created = (replicas: number, annotations?: Record<string, string>) =>
    create(kafka({ replicas, spec: DATA, ...(annotations ? { annotations } : {}) }));
  /** The claims cp-kafka's StatefulSet my-cp-cp-kafka leaves, one per broker. */
  const claimsOf = (brokers: number, name = 'my-cp-cp-kafka') =>
    Array.from({ length: brokers }, (_, i) => `datadir-0-${name}-${i}`);

  function claims(...names: string[]): VolumeClaimSource & { asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      listClaimNames: (namespace) => {
        asked.push(namespace);
        return Promise.resolve(names);
      },
    };
  }

  test('given the claims of 5 brokers, denies a CREATE with 3 as the scale-down 5 → 3 it is', async () => {
    // The deletion itself, with a reason, is admitted: the CREATE that follows is what is judged.
    const reason = { 'kafka-warden.io/deletion-reason': 'CHG-4: recreate for a new selector' };
    expect((await evaluate(remove(kafka({ replicas: 5, annotations: reason })))).allowed).toBe(
      true,
    );
    const source = claims(...claimsOf(5), 'unrelated-claim');
    const finding = await findingOf('broker-scaling', created(3), { volumeClaims: source });
    expect(source.asked).toEqual(['kafka']);
    expect(finding.outcome).toBe('fail');
    expect(finding.summary).toBe(
      'recreated with 3 of 5 brokers removes brokers 3, 4 without a reassignment plan',
    );
    for (const text of [
      'PersistentVolumeClaims datadir-0-my-cp-cp-kafka-3, datadir-0-my-cp-cp-kafka-4 (brokers 3, 4)',
      'a scale-down 5 → 3',
      '--cascade=orphan',
      'create my-cp-cp-kafka with 5 replicas, as it had',
      'kubectl delete pvc datadir-0-my-cp-cp-kafka-3 datadir-0-my-cp-cp-kafka-4',
    ]) {
      expect(finding.message).toContain(text);
    }
  });

  test.each([
    ['as many brokers as it had', claimsOf(3), 3],
    ['more brokers than it had', claimsOf(3), 5],
    ['a first install', [], 3],
    [
      "the claims of other StatefulSets and templates only (kafka's, not my-cp-cp-kafka-1's)",
      [
        ...claimsOf(5, 'my-cp-cp-kafka-1'),
        'datadir-1-my-cp-cp-kafka-4',
        'datadir-0-my-cp-cp-kafka-x',
      ],
      3,
    ],
  ])('given %s, passes', async (_name, names, replicas) => {
    const finding = await findingOf('broker-scaling', created(replicas), {
      volumeClaims: claims(...names),
    });
    expect(finding.outcome).toBe('pass');
  });

  test('given a plan on the new StatefulSet that empties the brokers left out, allows', async () => {
    const finding = await findingOf('broker-scaling', created(3, { [PLAN]: OFF_3_AND_4 }), {
      volumeClaims: claims(...claimsOf(5)),
    });
    expect(finding.outcome).toBe('pass');
  });

  test('with a probe, the live state decides: brokers left out that host nothing may stay out', async () => {
    const asked: (readonly number[])[] = [];
    const clusterState: ClusterStateProbe = {
      partitionHealth: () => Promise.reject(new Error('not asked')),
      replicasOnBrokers: (_cluster, ids) => {
        asked.push(ids);
        return Promise.resolve(new Map());
      },
    };
    const finding = await findingOf('broker-scaling', created(3), {
      volumeClaims: claims(...claimsOf(5)),
      clusterState,
    });
    expect(asked).toEqual([[3, 4]]);
    expect(finding.outcome).toBe('pass');
  });

  test('given claims that cannot be listed in time, denies and says why', async () => {
    const hanging: VolumeClaimSource = {
      listClaimNames: (_namespace, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('request aborted'))),
        ),
    };
    const policy = parsePolicy('lookups: {timeoutMs: 20}', 'p.yaml');
    const finding = await findingOf('broker-scaling', created(3), {
      volumeClaims: hanging,
      policy,
    });
    expect(finding.outcome).toBe('fail');
    expect(finding.message).toContain('listing them failed');
  });

  test('given no volumeClaimTemplates (persistence off), passes: no volumes outlive the brokers', async () => {
    const finding = await findingOf('broker-scaling', create(kafka({ replicas: 1 })), {
      volumeClaims: claims(...claimsOf(5)),
    });
    expect(finding.outcome).toBe('pass');
  });

  test('without a way to list claims (check, render), says nothing, and the engine answers at once', async () => {
    expect(await findingsOf('broker-scaling', created(1))).toEqual([]);
    expect(evaluate(created(1))).not.toBeInstanceOf(Promise);
  });
});
