/**
 * Scaling the brokers under load, the way broker-scaling's denials tell a user to (docs/policy.md):
 * 3 → 4 with `helm upgrade`, then the plan `kafka-warden plan --brokers 4` prints executed, so the
 * new broker takes its share of the replicas; later `kafka-warden plan --brokers 3` executed, which
 * drains broker 3, and only then `helm upgrade` back to 3. The plans are executed with Kafka's own
 * AlterPartitionReassignments (what `kafka-reassign-partitions --execute` sends on Kafka ≥ 2.4)
 * and waited for until no reassignment is left. The roll gate judges the brokers throughout: a
 * broker gaining replicas is not Ready until it has caught up on them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { withAdmin } from '../kafka/harness/client-ops';
import { eventually } from '../../support/control-plane';
import { BROKER_HEADLESS, BROKER_STS } from '../../support/node-agent/cp-release';
import { CLI } from '../../support/run-cli';
import { rolledOut } from './harness/roll';
import { CHART_VALUES, RollScenario, WARDEN, withRollGate } from './harness/scenario';

const NAMESPACE = 'rolls-scale';
const execFileAsync = promisify(execFile);

interface PlannedMove {
  topic: string;
  partition: number;
  replicas: number[];
}

/** `kafka-warden plan --brokers <brokers>` against the live cluster, as a user runs it. Async: the
 * load and the ISR sampler run in this process and must not stall while it reads the cluster. */
async function plan(scenario: RollScenario, brokers: number): Promise<PlannedMove[]> {
  const client = scenario.release.material?.client;
  if (!client) throw new Error('no client certificate: the release is not kafka-warden');
  const names = scenario.release.bootstrap(9093, 4).map((a) => a.split(':')[0] ?? '');
  const resolve = names.flatMap((name) => [
    '--resolve',
    `${name}=${scenario.cluster.agent.podAddress(NAMESPACE, name.split('.')[0] ?? '')}`,
  ]);
  const { stdout } = await execFileAsync(
    CLI,
    [
      'plan',
      '--bootstrap-server',
      `${BROKER_STS}-0.${BROKER_HEADLESS}.${NAMESPACE}:9093`,
      '--brokers',
      String(brokers),
      '--tls-dir',
      client.dir,
      ...resolve,
    ],
    { timeout: 60_000 },
  );
  return (JSON.parse(stdout) as { partitions: PlannedMove[] }).partitions;
}

/** Executes `moves` and waits (bounded) until Kafka reports no reassignment in progress. */
async function execute(scenario: RollScenario, moves: PlannedMove[]): Promise<void> {
  const kafka = scenario.release.kafka({ clientId: 'rolls-reassign' });
  const byTopic = new Map<string, { partition: number; replicas: number[] }[]>();
  for (const move of moves) {
    const list = byTopic.get(move.topic) ?? [];
    list.push({ partition: move.partition, replicas: move.replicas });
    byTopic.set(move.topic, list);
  }
  await withAdmin(kafka, (admin) =>
    admin.alterPartitionReassignments({
      topics: [...byTopic].map(([topic, partitionAssignment]) => ({ topic, partitionAssignment })),
    }),
  );
  await eventually(
    'every reassignment complete',
    () =>
      withAdmin(kafka, (admin) => admin.listPartitionReassignments({})).then(
        (r) => (r.topics.every((t) => t.partitions.length === 0) ? true : undefined),
        () => undefined,
      ),
    600_000,
    2_000,
  );
}

async function replicasOn(scenario: RollScenario, broker: number): Promise<number> {
  const kafka = scenario.release.kafka({ clientId: 'rolls-scale-check' });
  const metadata = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata());
  return metadata.topics.flatMap((t) => t.partitions).filter((p) => p.replicas.includes(broker))
    .length;
}

test('scale 3 → 4 with the plan executed, then 4 → 3 after the plan drains broker 3: gated, under load, no send failed, nothing lost', async () => {
  const scenario = await RollScenario.start({
    namespace: NAMESPACE,
    warden: withRollGate(WARDEN),
    set: CHART_VALUES,
    tlsReplicas: 4,
  });
  try {
    let upMoves = 0;
    const up = await scenario.roll('scale 3→4, then the plan executed', async () => {
      const run = await scenario.release.upgrade({ set: ['cp-kafka.brokers=4'] });
      if (run.status !== 0) throw new Error(`helm upgrade: ${run.stdout}${run.stderr}`);
      await rolledOut(scenario.cluster.cp, NAMESPACE, BROKER_STS, 900_000);
      const moves = await plan(scenario, 4);
      upMoves = moves.length;
      await execute(scenario, moves);
    });
    // The new broker took its share: the plan moved partitions onto it, and it holds replicas.
    expect(upMoves).toBeGreaterThan(0);
    expect(await replicasOn(scenario, 3)).toBeGreaterThan(0);

    const down = await scenario.roll('scale 4→3 after the plan drained broker 3', async () => {
      await execute(scenario, await plan(scenario, 3));
      expect(await replicasOn(scenario, 3)).toBe(0);
      const run = await scenario.release.upgrade({ set: ['cp-kafka.brokers=3'] });
      if (run.status !== 0) throw new Error(`helm upgrade: ${run.stdout}${run.stderr}`);
    });
    const results = await scenario.finish([up, down]);
    expect(results.map((r) => r.brokersTerminated)).toEqual([0, 1]);
    for (const result of results) {
      expect(result.gated).toBe(true);
      expect(result.failedSends).toBe(0);
      expect(result.belowMinIsrSeconds).toBe(0);
      expect(result.lost).toBe(0);
      expect(result.duplicated).toBe(0);
    }
    // Nothing is left on the broker that is gone.
    expect(await replicasOn(scenario, 3)).toBe(0);
  } finally {
    await scenario.stop();
  }
}, 2_400_000);
