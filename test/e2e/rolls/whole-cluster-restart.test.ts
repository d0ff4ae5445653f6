/**
 * Every broker pod deleted at once (a whole-cluster outage: a zone lost, `kubectl delete pods`),
 * with the roll gate on. Under `OrderedReady` the StatefulSet controller re-creates broker 0 first
 * and broker 1 only once broker 0 is Ready, so the gate must judge broker 0 while partitions that
 * wait for broker 2 have no leader. Holding broker 0 back for them would deadlock the cluster:
 * broker 2 is never created (docs/design.md, "The roll gate", "Caught up"). A topic whose only
 * replica is on broker 2 makes that situation certain: it is offline until broker 2 is back.
 *
 * Not a roll kafka-warden can make safe (every broker is down at once), so failed sends and seconds
 * below min ISR are recorded, not asserted; asserted: the cluster comes back whole, broker by
 * broker, with nothing acknowledged lost and nothing duplicated.
 */
import { apiRequest, eventually } from '../../support/control-plane';
import { BROKER_STS } from '../../support/node-agent/cp-release';
import { withAdmin } from '../kafka/harness/client-ops';
import { CHART_VALUES, RollScenario, WARDEN, withRollGate } from './harness/scenario';

const NAMESPACE = 'rolls-outage';
const ON_BROKER_2 = 'only-on-broker-2';

test('all brokers deleted at once, gated: broker 0 turns Ready while a partition waits for broker 2, the cluster comes back whole, nothing lost', async () => {
  const scenario = await RollScenario.start({
    namespace: NAMESPACE,
    warden: withRollGate(WARDEN),
    set: CHART_VALUES,
  });
  try {
    await withAdmin(scenario.release.kafka({ clientId: 'rolls-outage' }), (admin) =>
      admin.createTopics({
        topics: [{ topic: ON_BROKER_2, replicaAssignment: [{ partition: 0, replicas: [2] }] }],
        waitForLeaders: true,
      }),
    );
    const outage = await scenario.roll(
      'whole-cluster outage: every broker pod deleted',
      async () => {
        const res = await apiRequest(
          scenario.cluster.cp,
          'DELETE',
          `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=app%3Dcp-kafka`,
        );
        if (res.status !== 200) throw new Error(`deleting the broker pods: HTTP ${res.status}`);
        // The generation does not change, so the roll's end (every replica Ready at the current
        // revision) would hold at once on the StatefulSet's status from before the deletion.
        await eventually(
          'the StatefulSet to see its brokers gone',
          async () => {
            const sts = await apiRequest<{ status?: { readyReplicas?: number } }>(
              scenario.cluster.cp,
              'GET',
              `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets/${BROKER_STS}`,
            );
            return (sts.body.status?.readyReplicas ?? 0) < 3 ? true : undefined;
          },
          60_000,
          200,
        );
      },
    );
    const [result] = await scenario.finish([outage]);
    expect(result?.gated).toBe(true);
    expect(result?.brokersTerminated).toBe(3);
    expect(result?.lost).toBe(0);
    expect(result?.duplicated).toBe(0);
    // Broker 2 came back, so the partition that waited for it has its leader again.
    const metadata = await withAdmin(
      scenario.release.kafka({ clientId: 'rolls-outage' }),
      (admin) => admin.fetchTopicMetadata({ topics: [ON_BROKER_2] }),
    );
    expect(metadata.topics[0]?.partitions[0]?.leader).toBe(2);
  } finally {
    await scenario.stop();
  }
}, 2_400_000);
