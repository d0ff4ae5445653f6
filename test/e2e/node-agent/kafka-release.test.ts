/**
 * cp-helm-charts 0.6.1 installed with `helm install --post-renderer kafka-warden` into the real
 * API server; the StatefulSet controller creates ZooKeeper and broker pods and the node agent runs
 * them: kafka-warden's init container as the broker image's user, the broker as root (the chart's
 * runAsUser 0), its JMX exporter sidecar, its TCP readiness probe. Then a client over TLS with the
 * issued client certificate, by the brokers' cluster DNS names.
 */
import { readFileSync } from 'node:fs';
import { consumeAll, produceNumbered, withAdmin } from '../../e2e/kafka/harness/client-ops';
import { installRelease, type Release } from '../../support/node-agent/cp-release';
import { startAgentCluster, type AgentCluster } from '../../support/node-agent/cluster';

const NS = 'kafka';
let cluster: AgentCluster;
let release: Release;

beforeAll(async () => {
  cluster = await startAgentCluster();
  release = await installRelease(cluster, {
    namespace: NS,
    warden: {},
    set: ['cp-zookeeper.servers=1'],
  });
  await release.podsReady('cp-zookeeper', 1, 180_000);
  await release.podsReady('cp-kafka', 3, 600_000);
}, 900_000);

afterAll(async () => {
  release?.cleanup();
  await cluster?.stop();
}, 120_000);

const started = (pod: string, container: string) =>
  cluster.agent.events.find(
    (e) => e.pod === `${NS}/${pod}` && e.container === container && e.what === 'started',
  )?.detail;

test('every container ran as the user its pod and image say', () => {
  for (const ordinal of [0, 1, 2]) {
    const pod = `my-cp-cp-kafka-${ordinal}`;
    expect(started(pod, 'cp-kafka-broker')).toMatch(/^kafka pid \d+ as 0:0$/);
    expect(started(pod, 'prometheus-jmx-exporter')).toMatch(/^exporter pid \d+ as 0:0$/);
    // kafka-warden's init container runs the broker image without the broker's runAsUser 0:
    // cp-enterprise-kafka 6.1's appuser, writing into an emptyDir.
    expect(
      cluster.agent.events.find(
        (e) =>
          e.pod === `${NS}/${pod}` &&
          e.container === 'kafka-warden-init' &&
          e.what === 'init exited',
      )?.detail,
    ).toBe('code 0 as 1000:1000');
  }
  expect(started('my-cp-cp-zookeeper-0', 'cp-zookeeper-server')).toMatch(
    /^zookeeper pid \d+ as 0:0$/,
  );
});

test('the brokers serve TLS by their cluster DNS names, replicate, and their exporters export Kafka metrics', async () => {
  const kafka = release.kafka({ tls: true });
  const topic = 'agent-smoke';
  await withAdmin(kafka, (admin) =>
    admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 3 }],
      waitForLeaders: true,
    }),
  );
  await produceNumbered(kafka, topic, 30);
  expect(await consumeAll(kafka, topic, 30)).toHaveLength(30);
  const address = cluster.agent.dns.resolve(`my-cp-cp-kafka-0.my-cp-cp-kafka-headless.${NS}`)[0];
  expect(address).toMatch(/^127\./);
  const metrics = await (
    await fetch(`http://${address}:5556/metrics`, { signal: AbortSignal.timeout(10_000) })
  ).text();
  expect(metrics).toMatch(/^cp_kafka_server_replicamanager_/m);
  const log = readFileSync(
    cluster.agent.logFile(NS, 'my-cp-cp-kafka-0', 'cp-kafka-broker'),
    'utf8',
  );
  expect(log).toMatch(/\[KafkaServer id=0\] started/);
}, 180_000);
