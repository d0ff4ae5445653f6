/**
 * The same brokers on Kafka 3.9.1, the last release with ZooKeeper mode: the pod spec kafka-warden
 * renders for cp-helm-charts 0.6.1 (tls-only), evaluated as the image does, with 3.9.1's jars in
 * place of the image's 2.7. Produce and consume over mutual TLS, the advertised addresses, and every
 * rule of the JMX exporter configuration matching 3.9's beans.
 */
import path from 'node:path';
import { loadConfigFile } from '../../../src/config/load-config';
import { GOLDEN_DIR } from '../../golden/cases';
import { consumeAll, produceNumbered, withAdmin } from './harness/client-ops';
import { type KafkaCluster } from './harness/cluster';
import { clusterPerFile } from './harness/cluster-per-file';
import { expectEveryExporterRuleToMatch } from './harness/exporter-rules';

jest.setTimeout(180_000);

const config = loadConfigFile(path.join(GOLDEN_DIR, 'configs', 'tls-only.yaml'));
let cluster: KafkaCluster;

clusterPerFile(
  { version: '3.9.1', source: 'post-renderer', config },
  (started) => (cluster = started),
);

describe('Kafka 3.9.1 brokers started from the post-renderer (tls-only)', () => {
  test('produce and consume over SSL with the client keystore kafka-warden issued', async () => {
    const kafka = cluster.kafka();
    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        topics: [{ topic: 'mtls-39', numPartitions: 3, replicationFactor: 3 }],
        waitForLeaders: true,
      }),
    );
    await produceNumbered(kafka, 'mtls-39', 20);
    const values = await consumeAll(kafka, 'mtls-39', 20);
    expect(values.sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
  });

  test("the metadata's broker addresses are exactly the advertised listeners", async () => {
    const { brokers } = await withAdmin(cluster.kafka(), (admin) => admin.describeCluster());
    expect(brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual(
      cluster.brokers.map((b) => `${b.podName}.my-cp-cp-kafka-headless.default:9093`).sort(),
    );
  });

  test("Kafka 3.9's tools (moved to kafka-tools) run with the harness's client configuration", async () => {
    const run = await cluster.runTool('kafka-reassign-partitions', [
      '--bootstrap-server',
      cluster.bootstrap().join(','),
      '--command-config',
      cluster.clientPropertiesFile,
      '--list',
    ]);
    expect(run.stderr).not.toMatch(/Exception/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/No partition reassignments found/);
  });

  test('every rule of the JMX exporter configuration matches MBeans of every broker (Kafka 3.9.1)', async () => {
    await expectEveryExporterRuleToMatch(cluster);
  });
});
