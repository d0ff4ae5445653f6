/**
 * Issue 16: the roll gate's "caught up" decision against real brokers. `syncSnapshot` of the probe
 * `serve` builds (kafkaProbeFromFiles: the client keystore kafka-warden issued, kafkajs, the
 * connection code of the live checks) feeds `brokerSyncVerdict`, and every verdict is compared with
 * what Kafka itself did: Kafka 2.7.2, three brokers started from a post-renderer render (tls-only).
 *
 * 1. Settled: every broker is InSync; `gate-rf2` (RF 2, min ISR 2) is counted in the message.
 * 2. Broker P's JVM SIGSTOPped (registered, not fetching) past replica.lag.time.max.ms: P is
 *    NotInIsr, naming partitions it really is missing from; the others stay InSync.
 * 3. Broker S stopped while P is still frozen: S is NotRegistered; `gate-offline` (replicas S and P,
 *    ISR only S since step 2) has no leader.
 * 4. P resumed: InSync again once it rejoined every ISR it can, although it is not in the ISR of
 *    `gate-offline`, which waits for S: the offline partition does not hold P back.
 * 5. S restarted: every broker InSync, `gate-offline` led again with P back in its ISR.
 *
 * P and S are the two brokers that are not the controller: a frozen controller would hold every
 * ISR change (2.7 sends them to the controller, AlterIsr) until its ZooKeeper session expired.
 *
 * The render sets three broker properties so the test takes seconds: replica.lag.time.max.ms 3000
 * (default 30 s) so a frozen follower leaves the ISRs quickly; zookeeper.session.timeout.ms 30000
 * (default 18 s; ZooKeeper's ceiling here is 40 s) so a frozen broker stays registered while it
 * is judged, and controlled.shutdown.enable false so stopping S, sole ISR member of a partition,
 * does not spend ~15 s in controlled-shutdown retries that cannot move that leadership anywhere.
 */
import path from 'node:path';
import { rmSync } from 'node:fs';
import { loadConfigFile } from '../../../src/config/load-config';
import {
  brokerSyncVerdict,
  type BrokerSyncVerdict,
  type SyncSnapshot,
} from '../../../src/core/broker-sync';
import type { KafkaClusterStateProbe } from '../../../src/kafka/probe';
import { kafkaProbeFromFiles } from '../../../src/kafka/start-probe';
import type { ClusterRef } from '../../../src/policy/cluster-state';
import { GOLDEN_DIR } from '../../golden/cases';
import { chartPackage } from '../../support/cluster-helm';
import { eventually } from '../../support/control-plane';
import { IsolatedHelm } from '../../support/helm';
import { sharedDir } from '../../support/paths';
import { withAdmin } from './harness/client-ops';
import { startKafkaCluster, type KafkaCluster } from './harness/cluster';
import { kafkaClient } from './harness/kafka-client';

jest.setTimeout(120_000);

const started = Date.now();
const NAMESPACE = 'kafka';
const config = loadConfigFile(path.join(GOLDEN_DIR, 'configs', 'tls-only.yaml'));
const NO_HEADROOM = 'have replication factor <= min.insync.replicas';

let cluster: KafkaCluster | undefined;
let probe: KafkaClusterStateProbe | undefined;
let ref: ClusterRef;
/** The frozen broker's process group, while it is frozen: afterAll must thaw it to stop it. */
let frozenPid: number | undefined;
/** The controller (C), the broker frozen in step 2 (P) and the one stopped in step 3 (S). */
let C = -1;
let P = -1;
let S = -1;

function renderWithFastLag(): string {
  const helm = new IsolatedHelm(3);
  try {
    const set = (name: string, value: string) => [
      '--set-string',
      `cp-kafka.configurationOverrides.${name.replace(/\./g, '\\.')}=${value}`,
    ];
    const run = helm.run([
      'template',
      'my-cp',
      chartPackage('0.6.1'),
      '--namespace',
      NAMESPACE,
      '-f',
      path.join(sharedDir(), 'cp-helm-charts', 'values', 'default.yaml'),
      ...set('replica.lag.time.max.ms', '3000'),
      ...set('zookeeper.session.timeout.ms', '30000'),
      ...set('controlled.shutdown.enable', 'false'),
    ]);
    if (run.status !== 0) throw new Error(`helm template failed:\n${run.stderr}`);
    return run.stdout;
  } finally {
    rmSync(helm.home, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  cluster = await startKafkaCluster({
    version: '2.7.2',
    source: 'post-renderer',
    config,
    renderText: renderWithFastLag(),
    namespace: NAMESPACE,
  });
  const k = cluster;
  for (const b of k.brokers) {
    expect(b.properties['replica.lag.time.max.ms']).toBe('3000');
    expect(b.properties['controlled.shutdown.enable']).toBe('false');
  }
  const { controller } = await withAdmin(k.kafka(), (admin) => admin.describeCluster());
  if (controller === null) throw new Error('the cluster reports no controller');
  C = controller;
  [P, S] = [0, 1, 2].filter((id) => id !== C) as [number, number];

  ref = {
    namespace: NAMESPACE,
    statefulSet: k.pods.statefulSet.metadata?.name ?? '',
    serviceName: k.pods.headlessService,
  };
  // As serve builds it (--kafka-tls-dir), with the pod network's names for cluster DNS. Bootstrap
  // from the controller's address only: kafkajs sends each Metadata request to a connected broker
  // at random, and one sent to the frozen P waits out the request timeout; the verdicts, not that,
  // are what this file is about.
  const controllerHost = k.bootstrap()[C];
  if (!controllerHost) throw new Error(`no address for broker ${C}`);
  probe = kafkaProbeFromFiles({
    credentials: { tlsDir: k.material.client.dir, lookup: k.network.lookup },
    bootstrapTemplate: controllerHost,
  });

  await withAdmin(k.kafka(), (admin) =>
    admin.createTopics({
      topics: [
        {
          topic: 'gate-rf3',
          numPartitions: 3,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
        {
          topic: 'gate-rf2',
          replicaAssignment: [
            { partition: 0, replicas: [P, C] },
            { partition: 1, replicas: [C, P] },
          ],
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
        { topic: 'gate-offline', replicaAssignment: [{ partition: 0, replicas: [S, P] }] },
      ],
      waitForLeaders: true,
    }),
  );
  console.info(
    `set-up ${seconds(Date.now() - started)}: Kafka ${k.version}, controller ${C}, frozen ${P}, stopped ${S}`,
    k.timings,
  );
}, 240_000);

afterAll(async () => {
  if (frozenPid !== undefined) thaw(frozenPid);
  await probe?.close();
  await cluster?.stop();
  console.info(`roll-gate-sync.test.ts took ${seconds(Date.now() - started)}`);
}, 60_000);

describe('the roll gate judges real brokers: syncSnapshot → brokerSyncVerdict', () => {
  test('1. settled: every broker in sync; the RF 2 / min ISR 2 topic is counted, not held against anyone', async () => {
    const { snapshot, verdicts } = await judgedUntil('every broker in sync', (v) =>
      [C, P, S].every((id) => v(id).inSync),
    );
    // Exactly the three topics (no consumer group ran, so no offsets topic): the counts below are
    // all of them.
    expect(topicsOf(snapshot)).toEqual(['gate-offline', 'gate-rf2', 'gate-rf3']);
    expect(snapshot.minIsr.get('gate-rf3')).toBe(2);
    expect(snapshot.minIsr.get('gate-rf2')).toBe(2);
    for (const id of [C, P, S]) {
      const v = verdicts(id);
      expect(v.reason).toBe('InSync');
      expect(v.behind).toBe(0);
      expect(v.offline).toBe(0);
    }
    // gate-rf2's two partitions are on C and P, and judged like any other (they are in sync).
    for (const id of [C, P]) {
      expect(verdicts(id).noHeadroom).toBe(2);
      expect(verdicts(id).message).toContain(`2 partition(s) ${NO_HEADROOM}`);
    }
    expect(verdicts(S).noHeadroom).toBe(0);
    expect(verdicts(S).message).not.toContain(NO_HEADROOM);
    expect(verdicts(P).message).toBe(
      `broker ${P} is registered and in the ISR of all 6 partition(s) it replicates; ` +
        `2 partition(s) ${NO_HEADROOM}: acks=all writes to them stop during any restart of one of their replicas`,
    );
  });

  test('2. broker P frozen past replica.lag.time.max.ms: P is NotInIsr naming the partitions it left; the others stay in sync', async () => {
    const k = requireCluster();
    const pid = k.brokers[P]?.process?.pid;
    if (pid === undefined) throw new Error(`broker ${P} is not running`);
    // The partitions P follows: their leaders drop it. Those P leads keep it (a frozen leader
    // shrinks nothing, and the controller still sees it registered).
    const before = await snapshotNow();
    const followed = partitionNames(
      before.partitions.filter((p) => p.replicas.includes(P) && p.leader !== P),
    );
    expect(followed.length).toBeGreaterThan(0);

    freeze(pid);
    frozenPid = pid;
    // A follower whose log ends where the leader's does is never dropped, however long it is
    // silent (Kafka 2.5+): the leaders need records P has not fetched.
    await produceTo(before.partitions.filter((p) => p.replicas.includes(P) && p.leader !== P));
    const { snapshot, verdicts } = await judgedUntil(
      `broker ${P} out of the ISR of the ${followed.length} partition(s) it follows`,
      (v) => v(P).behind === followed.length,
    );
    expect(snapshot.brokers).toContain(P);
    const frozen = verdicts(P);
    expect(frozen.inSync).toBe(false);
    expect(frozen.reason).toBe('NotInIsr');
    // Kafka's own ISRs: exactly the followed partitions lack P.
    expect(
      partitionNames(
        snapshot.partitions.filter((p) => p.replicas.includes(P) && !p.isr.includes(P)),
      ),
    ).toEqual(followed);
    expect(frozen.message).toContain(
      `broker ${P} is not in the ISR of ${followed.length} of its 6 partition(s) (`,
    );
    const named = /partition\(s\) \(([^)]*)\)/.exec(frozen.message)?.[1]?.split(', ') ?? [];
    expect(named.length).toBeGreaterThan(0);
    for (const name of named.filter((n) => n !== '…')) expect(followed).toContain(name);
    for (const id of [C, S]) expect(verdicts(id)).toMatchObject({ inSync: true, reason: 'InSync' });
  });

  test('3. broker S stopped while P is frozen: S is NotRegistered; gate-offline is left without a leader', async () => {
    await requireCluster().stopBroker(S);
    const { snapshot, verdicts } = await judgedUntil(
      `broker ${S} unregistered and gate-offline without a leader`,
      (v, s) => !s.brokers.includes(S) && offlinePartition(s)?.leader === -1,
    );
    expect(verdicts(S)).toMatchObject({ inSync: false, reason: 'NotRegistered' });
    expect(verdicts(S).message).toContain(
      `broker ${S} is not registered with the cluster (not started, still recovering its logs, or unreachable by the controller)`,
    );
    expect(offlinePartition(snapshot)?.isr).not.toContain(P);
    expect(verdicts(C)).toMatchObject({ inSync: true, reason: 'InSync' });
    expect(verdicts(P).reason).toBe('NotInIsr');
  });

  test('4. P resumed: in sync again once back in every ISR it can join; gate-offline (no leader) does not hold it back', async () => {
    if (frozenPid === undefined) throw new Error(`broker ${P} was not frozen (see step 2)`);
    thaw(frozenPid);
    frozenPid = undefined;
    // Resumed, P leads again with follower clocks that stopped while it was frozen: for a moment it
    // may drop C from the ISR of a partition it leads, until C's queued fetches are answered. That
    // is Kafka's view too (checked below), so wait for both rather than catch the moment.
    const { snapshot, verdicts } = await judgedUntil(
      `brokers ${P} and ${C} in sync again`,
      (v) => v(P).inSync && v(C).inSync,
    );
    // Still offline, and P still outside its ISR: P is judged without it.
    const offline = offlinePartition(snapshot);
    expect(offline?.leader).toBe(-1);
    expect(offline?.isr).not.toContain(P);
    expect(snapshot.brokers).not.toContain(S);
    const resumed = verdicts(P);
    expect(resumed).toMatchObject({ reason: 'InSync', behind: 0, offline: 1, replicated: 6 });
    expect(resumed.message).toContain(
      `broker ${P} is registered and in the ISR of all 5 partition(s) it replicates; ` +
        '1 offline partition(s) (no leader) not judged: they wait for another broker',
    );
    // Every other partition of P's has it in its ISR again: Kafka's view, not the verdict's.
    for (const p of snapshot.partitions.filter((q) => q.replicas.includes(P) && q.leader >= 0))
      expect(p.isr).toContain(P);
    expect(verdicts(S).reason).toBe('NotRegistered');
    for (const id of [C, P, S]) expect(verdicts(id).inSync).toBe(kafkaHasInSync(snapshot, id));
  });

  test('5. S restarted: every broker in sync, gate-offline led again with both replicas in its ISR', async () => {
    await requireCluster().startBroker(S);
    const { snapshot, verdicts } = await judgedUntil(
      'every broker in sync with no offline partition',
      (v) => [C, P, S].every((id) => v(id).inSync && v(id).offline === 0),
    );
    expect(offlinePartition(snapshot)?.leader).toBe(S);
    for (const id of [C, P, S]) expect(verdicts(id).reason).toBe('InSync');
    expect(snapshot.partitions.every((p) => p.isr.length === p.replicas.length)).toBe(true);
  });
});

type Verdicts = (brokerId: number) => BrokerSyncVerdict;

/**
 * Asks the probe until `done` holds for the verdicts of one snapshot (at most 60 s) and returns that
 * snapshot. A question that fails is asked again: the probe drops its connection on a failure, as
 * in serve; the last failure is quoted if time runs out.
 */
async function judgedUntil(
  what: string,
  done: (verdicts: Verdicts, snapshot: SyncSnapshot) => boolean,
): Promise<{ snapshot: SyncSnapshot; verdicts: Verdicts }> {
  let last = 'no answer yet';
  try {
    return await eventually(
      what,
      async () => {
        let snapshot: SyncSnapshot;
        try {
          snapshot = await snapshotNow();
        } catch (error) {
          last = `last question failed: ${(error as Error).message}`;
          return undefined;
        }
        const verdicts: Verdicts = (id) => brokerSyncVerdict(snapshot, id);
        last = `last verdicts: ${[C, P, S].map((id) => verdicts(id).message).join(' | ')}`;
        return done(verdicts, snapshot) ? { snapshot, verdicts } : undefined;
      },
      60_000,
      500,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; ${last}\n${requireCluster().logs()}`);
  }
}

function snapshotNow(): Promise<SyncSnapshot> {
  if (!probe) throw new Error('the probe was not built (see beforeAll)');
  return probe.syncSnapshot(ref, AbortSignal.timeout(20_000));
}

/**
 * One record to each partition, acks=1 (the leader alone: with P frozen, acks=all would wait for
 * it), from a client that knows only the brokers other than P, all of them leaders here.
 */
async function produceTo(partitions: SyncSnapshot['partitions']): Promise<void> {
  const k = requireCluster();
  const producer = kafkaClient({
    brokers: k.bootstrap().filter((_, id) => id !== P),
    network: k.network,
    tls: 'mtls',
    material: k.material.client,
  }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const p of partitions) {
      await producer.send({
        topic: p.topic,
        acks: 1,
        messages: [{ partition: p.partition, value: `behind ${P}` }],
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Kafka's own answer: registered, and in the ISR of every partition of its that has a leader. */
function kafkaHasInSync(snapshot: SyncSnapshot, brokerId: number): boolean {
  return (
    snapshot.brokers.includes(brokerId) &&
    snapshot.partitions
      .filter((p) => p.replicas.includes(brokerId) && p.leader >= 0)
      .every((p) => p.isr.includes(brokerId))
  );
}

function offlinePartition(snapshot: SyncSnapshot): SyncSnapshot['partitions'][number] | undefined {
  return snapshot.partitions.find((p) => p.topic === 'gate-offline');
}

function topicsOf(snapshot: SyncSnapshot): string[] {
  return [...new Set(snapshot.partitions.map((p) => p.topic))].sort();
}

function partitionNames(partitions: SyncSnapshot['partitions']): string[] {
  return partitions.map((p) => `${p.topic}-${p.partition}`).sort();
}

/** The JVM only (the harness starts it as its process group's leader, nothing else in it). */
function freeze(pid: number): void {
  process.kill(-pid, 'SIGSTOP');
}

function thaw(pid: number): void {
  try {
    process.kill(-pid, 'SIGCONT');
  } catch {
    // ESRCH: already gone.
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function requireCluster(): KafkaCluster {
  if (!cluster) throw new Error('the Kafka cluster did not start (see beforeAll)');
  return cluster;
}
