// The probe's own logic over a test double of its KafkaAdmin interface: how it finds a cluster,
// what it caches and what never, connections, deadlines. Against real Kafka: test/e2e/kafka.
import type { ClusterMetadata, KafkaAdmin, PartitionInfo } from '../../../src/kafka/client';
import { assessPartitions, replicasOn } from '../../../src/kafka/health';
import {
  bootstrapAddresses,
  checkBootstrapTemplate,
  KafkaClusterStateProbe,
  untilAborted,
  type ProbeOutcome,
  type ProbeQuestion,
} from '../../../src/kafka/probe';
import type { ClusterRef } from '../../../src/policy/cluster-state';
import { expectWardenError } from '../tls/fixtures';

const CLUSTER: ClusterRef = {
  namespace: 'kafka',
  statefulSet: 'my-cp-cp-kafka',
  serviceName: 'my-cp-cp-kafka-headless',
};

function p(
  topic: string,
  partition: number,
  replicas: number[],
  isr = replicas,
  extra: Partial<PartitionInfo> = {},
): PartitionInfo {
  return {
    topic,
    partition,
    leader: isr[0] ?? -1,
    replicas,
    isr,
    offlineReplicas: [],
    ...extra,
  };
}

class FakeAdmin implements KafkaAdmin {
  metadataCalls = 0;
  configCalls: string[][] = [];
  closed = false;
  constructor(
    public state: ClusterMetadata,
    public minIsr: Record<string, number> = {},
  ) {}
  metadata(): Promise<ClusterMetadata> {
    this.metadataCalls++;
    return Promise.resolve(structuredClone(this.state));
  }
  minInsyncReplicas(topics: readonly string[]): Promise<Map<string, number>> {
    this.configCalls.push([...topics]);
    // Kafka answers every topic with its effective value: its own, or the broker default.
    return Promise.resolve(new Map(topics.map((t) => [t, this.minIsr[t] ?? 1])));
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function setup(admin: () => KafkaAdmin | Promise<KafkaAdmin>, configTtlMs = 30_000) {
  let clock = 0;
  const connects: string[][] = [];
  const questions: [ProbeQuestion, ProbeOutcome][] = [];
  const probe = new KafkaClusterStateProbe({
    connect: async (brokers) => {
      connects.push([...brokers]);
      return admin();
    },
    configTtlMs,
    now: () => clock,
    onQuestion: (question, outcome) => questions.push([question, outcome]),
  });
  return {
    probe,
    connects,
    questions,
    advance: (ms: number) => (clock += ms),
  };
}

const signal = () => new AbortController().signal;

describe('partition health (assessPartitions)', () => {
  const live = [0, 1, 2];
  test.each<
    [string, PartitionInfo, number, { underReplicated: boolean; atMinIsr: boolean } | null]
  >([
    ['in sync above min ISR', p('t', 0, [0, 1, 2]), 2, null],
    [
      'a replica out of the ISR',
      p('t', 0, [0, 1, 2], [0, 1]),
      1,
      { underReplicated: true, atMinIsr: false },
    ],
    ['ISR at min ISR', p('t', 0, [0, 1, 2], [0, 1]), 2, { underReplicated: true, atMinIsr: true }],
    ['ISR below min ISR', p('t', 0, [0, 1, 2], [0]), 2, { underReplicated: true, atMinIsr: true }],
    [
      'a replica on an offline broker, ISR not shrunk yet',
      p('t', 0, [0, 1, 2], [0, 1, 2], { offlineReplicas: [2] }),
      1,
      { underReplicated: true, atMinIsr: false },
    ],
    [
      'a replica on a broker missing from the metadata',
      p('t', 0, [0, 1, 7], [0, 1, 7]),
      1,
      { underReplicated: true, atMinIsr: false },
    ],
    [
      'no leader',
      p('t', 0, [0], [0], { leader: -1 }),
      0,
      { underReplicated: true, atMinIsr: false },
    ],
    [
      'replication factor 1 at the default min ISR',
      p('t', 0, [1]),
      1,
      { underReplicated: false, atMinIsr: true },
    ],
  ])('%s', (_name, partition, minIsr, expected) => {
    const health = assessPartitions(
      { brokers: live, partitions: [partition] },
      new Map([['t', minIsr]]),
    );
    expect(health.partitionCount).toBe(1);
    expect(health.atRisk).toEqual(
      expected
        ? [{ name: 't-0', replicas: partition.replicas, isr: partition.isr, minIsr, ...expected }]
        : [],
    );
  });

  test("a topic whose min ISR is unknown gets Kafka's default, 1", () => {
    const health = assessPartitions(
      { brokers: live, partitions: [p('t', 0, [0, 1], [0])] },
      new Map(),
    );
    expect(health.atRisk[0]?.minIsr).toBe(1);
  });

  test('replicasOn names topic-partitions per broker', () => {
    const metadata = {
      brokers: live,
      partitions: [p('a-b', 0, [0, 3]), p('a-b', 1, [3, 4]), p('c', 0, [1])],
    };
    expect(replicasOn(metadata, [3, 4])).toEqual(
      new Map([
        [3, ['a-b-0', 'a-b-1']],
        [4, ['a-b-1']],
      ]),
    );
  });
});

describe('finding a cluster (bootstrap template)', () => {
  test('defaults to the headless Service on the TLS listener port', () => {
    expect(bootstrapAddresses('{serviceName}.{namespace}:9093', CLUSTER)).toEqual([
      'my-cp-cp-kafka-headless.kafka:9093',
    ]);
  });

  test('takes several addresses and the StatefulSet name', () => {
    expect(
      bootstrapAddresses(
        '{statefulSet}-0.{serviceName}.{namespace}.svc:9093, {statefulSet}.{namespace}:9093',
        CLUSTER,
      ),
    ).toEqual([
      'my-cp-cp-kafka-0.my-cp-cp-kafka-headless.kafka.svc:9093',
      'my-cp-cp-kafka.kafka:9093',
    ]);
  });

  test('says which StatefulSet lacks a serviceName', () => {
    expect(() =>
      bootstrapAddresses('{serviceName}:9093', { namespace: 'ns', statefulSet: 'kf' }),
    ).toThrow('StatefulSet ns/kf has no spec.serviceName');
  });

  test.each([
    ['{service}.{namespace}:9093', /unknown placeholder\(s\) \{service\}/],
    ['{serviceName}.{namespace}', /must be host:port/],
    ['', /must be host:port/],
  ])('refuses %j', async (template, message) => {
    await expectWardenError(() => checkBootstrapTemplate(template), 'KW_USAGE', message);
  });
});

describe('KafkaClusterStateProbe', () => {
  const state = (): ClusterMetadata => ({
    brokers: [0, 1, 2],
    partitions: [p('orders', 0, [0, 1, 2]), p('orders', 1, [1, 2, 0]), p('scratch', 0, [2])],
  });

  test('reads partition health anew for every question, and min ISR from a cache within its TTL', async () => {
    const admin = new FakeAdmin(state(), { orders: 2 });
    const { probe, connects, advance } = setup(() => admin, 10_000);
    const first = await probe.partitionHealth(CLUSTER, signal());
    expect(first.atRisk.map((r) => r.name)).toEqual(['scratch-0']);

    // A broker dies: the very next question sees it, whatever the cache holds.
    admin.state = {
      ...state(),
      brokers: [0, 1],
      partitions: [p('orders', 0, [0, 1, 2], [0, 1]), ...state().partitions.slice(1)],
    };
    const second = await probe.partitionHealth(CLUSTER, signal());
    expect(second.atRisk.map((r) => r.name)).toEqual(['orders-0', 'orders-1', 'scratch-0']);
    expect(admin.metadataCalls).toBe(2);
    expect(admin.configCalls).toEqual([['orders', 'scratch']]);

    // A topic created since: read at once. After the TTL: everything read again.
    admin.state.partitions.push(p('new', 0, [0, 1]));
    await probe.partitionHealth(CLUSTER, signal());
    advance(10_001);
    await probe.partitionHealth(CLUSTER, signal());
    expect(admin.configCalls).toEqual([
      ['orders', 'scratch'],
      ['new'],
      ['orders', 'scratch', 'new'],
    ]);
    expect(connects).toEqual([['my-cp-cp-kafka-headless.kafka:9093']]);
  });

  test('syncSnapshot judges without min ISR when Kafka cannot answer it (a partition has no leader): what is known is kept, the snapshot still comes', async () => {
    const admin = new FakeAdmin(state(), { orders: 2 });
    const { probe, questions } = setup(() => admin);
    expect((await probe.syncSnapshot(CLUSTER, signal())).minIsr).toEqual(
      new Map([
        ['orders', 2],
        ['scratch', 1],
      ]),
    );
    // kafkajs refuses describeConfigs while a partition has no leader (its metadata refresh).
    admin.minInsyncReplicas = () =>
      Promise.reject(new Error('There is no leader for this topic-partition'));
    admin.state.partitions.push(p('offline', 0, [2], [2], { leader: -1 }));
    const snapshot = await probe.syncSnapshot(CLUSTER, signal());
    expect(snapshot.partitions.map((x) => `${x.topic}-${x.partition}`)).toContain('offline-0');
    expect(snapshot.minIsr.get('orders')).toBe(2);
    expect(snapshot.minIsr.has('offline')).toBe(false);
    expect(questions.map(([, outcome]) => outcome)).toEqual(['answered', 'answered']);
    // Never for the live checks: there min ISR decides the verdict, so that question fails.
    await expect(probe.partitionHealth(CLUSTER, signal())).rejects.toThrow(/no leader/);
  });

  test('answers where replicas are from fresh metadata, one connection per cluster', async () => {
    const admin = new FakeAdmin(state());
    const { probe, connects } = setup(() => admin);
    expect(await probe.replicasOnBrokers(CLUSTER, [2], signal())).toEqual(
      new Map([[2, ['orders-0', 'orders-1', 'scratch-0']]]),
    );
    admin.state.partitions = [p('orders', 0, [0, 1])];
    expect(await probe.replicasOnBrokers(CLUSTER, [2], signal())).toEqual(new Map());
    await probe.replicasOnBrokers({ ...CLUSTER, namespace: 'other' }, [2], signal());
    expect(connects).toEqual([
      ['my-cp-cp-kafka-headless.kafka:9093'],
      ['my-cp-cp-kafka-headless.other:9093'],
    ]);
  });

  test('rejects at once when the signal aborts, drops that connection, and reconnects next time', async () => {
    const close = jest.fn(() => Promise.resolve());
    const stuck: KafkaAdmin = {
      metadata: () => new Promise(() => undefined),
      minInsyncReplicas: () => Promise.resolve(new Map()),
      close,
    };
    const healthy = new FakeAdmin(state());
    let calls = 0;
    const { probe, connects, questions } = setup(() => (calls++ === 0 ? stuck : healthy));
    const controller = new AbortController();
    const asked = probe.partitionHealth(CLUSTER, controller.signal);
    controller.abort(new Error('checking partition health took longer than 20 ms'));
    await expect(asked).rejects.toThrow('took longer than 20 ms');
    await new Promise((resolve) => setImmediate(resolve));
    expect(close).toHaveBeenCalled();
    await probe.partitionHealth(CLUSTER, signal());
    expect(connects).toHaveLength(2);
    expect(questions).toEqual([
      ['partition-health', 'aborted'],
      ['partition-health', 'answered'],
    ]);
  });

  test('a failed connection is not kept: the next question tries again', async () => {
    let calls = 0;
    const admin = new FakeAdmin(state());
    const { probe, connects, questions } = setup(() => {
      if (calls++ === 0) throw new Error('connect ECONNREFUSED');
      return admin;
    });
    await expect(probe.replicasOnBrokers(CLUSTER, [1], signal())).rejects.toThrow('ECONNREFUSED');
    await probe.replicasOnBrokers(CLUSTER, [1], signal());
    expect(connects).toHaveLength(2);
    expect(questions.map(([, outcome]) => outcome)).toEqual(['failed', 'answered']);
  });

  test('close() closes every connection, and later questions fail', async () => {
    const admin = new FakeAdmin(state());
    const { probe } = setup(() => admin);
    await probe.replicasOnBrokers(CLUSTER, [1], signal());
    await probe.close();
    expect(admin.closed).toBe(true);
    await expect(probe.partitionHealth(CLUSTER, signal())).rejects.toThrow('shut down');
  });

  test('untilAborted rejects with the reason of an already aborted signal, leaving no unhandled rejection', async () => {
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(
      untilAborted(Promise.reject(new Error('ignored')), controller.signal),
    ).rejects.toThrow('too late');
  });
});
