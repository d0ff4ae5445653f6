/**
 * Kafka 2.7.2 (Confluent Platform 6.1, the family cp-helm-charts 0.6.1 installs) started from the
 * post-renderer's output for a real cp-helm-charts 0.6.1 render with PLAINTEXT dropped
 * (test/golden/configs/tls-only.yaml): mutual TLS with kafka-warden's keystores, replication over
 * the SSL inter-broker listener, the advertised addresses kafka-warden computed, and the JMX
 * exporter sidecar serving Kafka metrics with kafka-warden's rules, every rule matching real beans.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { loadConfigFile } from '../../../src/config/load-config';
import { GOLDEN_DIR } from '../../golden/cases';
import { type KafkaCluster } from './harness/cluster';
import { clusterPerFile } from './harness/cluster-per-file';
import { consumeAll, failureOf, produceNumbered, withAdmin } from './harness/client-ops';
import { expectEveryExporterRuleToMatch } from './harness/exporter-rules';
import { kafkaClient } from './harness/kafka-client';

jest.setTimeout(180_000);

const config = loadConfigFile(path.join(GOLDEN_DIR, 'configs', 'tls-only.yaml'));
let cluster: KafkaCluster;

clusterPerFile(
  { version: '2.7.2', source: 'post-renderer', config },
  (started) => (cluster = started),
);

describe('Kafka 2.7.2 brokers started from the post-renderer (tls-only)', () => {
  test('the brokers advertise exactly the listeners kafka-warden computed, and SSL is the only one', () => {
    expect(cluster.clientListener).toBe('SSL');
    for (const broker of cluster.brokers) {
      expect(broker.properties['advertised.listeners']).toBe(
        `SSL://${broker.podName}.my-cp-cp-kafka-headless.default:9093`,
      );
      expect(broker.properties['listeners']).toBe(`SSL://${broker.address}:9093`);
      expect(broker.properties['broker.id']).toBe(String(broker.ordinal));
      expect(broker.properties['ssl.client.auth']).toBe('required');
      expect(broker.properties['inter.broker.listener.name']).toBe('SSL');
    }
  });

  test('produce and consume over SSL with the client keystore kafka-warden issued (mTLS, hostname verified)', async () => {
    const kafka = cluster.kafka();
    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        topics: [{ topic: 'mtls', numPartitions: 3, replicationFactor: 3 }],
        waitForLeaders: true,
      }),
    );
    await produceNumbered(kafka, 'mtls', 20);
    const values = await consumeAll(kafka, 'mtls', 20);
    expect(values.sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
  });

  test('a client without a certificate is refused in the TLS handshake', async () => {
    const before = failedHandshakes(cluster);
    const kafka = cluster.kafka({ tls: 'server-only' });
    const failure = await failureOf(
      withAdmin(kafka, (admin) => admin.listTopics(), { retries: 0 }),
    );
    expect(failure).toMatch(/Connection error: [\s\S]*SSL routines[\s\S]*\[ERR_SSL_/);
    // Java's TLS 1.3 server refuses after the client has sent Finished, so Node reports the
    // alert as an undecryptable record; the broker's log says what happened.
    expect(failedHandshakes(cluster)).toBeGreaterThan(before);
  });

  test('hostname verification is on: the same broker dialled by its IP address is refused', async () => {
    const broker = cluster.brokers[0];
    const kafka = kafkaClient({
      brokers: [`${broker?.address}:9093`],
      network: cluster.network,
      tls: 'mtls',
      material: cluster.material.client,
      retries: 0,
    });
    const failure = await failureOf(
      withAdmin(kafka, (admin) => admin.listTopics(), { retries: 0 }),
    );
    expect(failure).toMatch(
      /does not match certificate's altnames[\s\S]*\[ERR_TLS_CERT_ALTNAME_INVALID\]/,
    );
  });

  test('a topic with replication factor 3 is fully replicated over the SSL inter-broker listener', async () => {
    const kafka = cluster.kafka();
    const partitions = await withAdmin(kafka, async (admin) => {
      await admin.createTopics({
        topics: [{ topic: 'replicated', numPartitions: 6, replicationFactor: 3 }],
        waitForLeaders: true,
      });
      return waitForFullIsr(kafka, 'replicated', 3);
    });
    expect(partitions).toHaveLength(6);
    for (const partition of partitions) expect(partition.isr.sort()).toEqual([0, 1, 2]);
  });

  test("the metadata's broker addresses are exactly the advertised listeners", async () => {
    const { brokers } = await withAdmin(cluster.kafka(), (admin) => admin.describeCluster());
    const advertised = cluster.brokers.map((b) => ({
      nodeId: b.ordinal,
      address: cluster.bootstrap()[b.ordinal],
    }));
    expect(
      brokers
        .map((b) => ({ nodeId: b.nodeId, address: `${b.host}:${b.port}` }))
        .sort((a, b) => a.nodeId - b.nodeId),
    ).toEqual(advertised);
  });

  test("each broker's JMX exporter serves Kafka metrics, under-replicated partitions included", async () => {
    for (const broker of cluster.brokers) {
      expect(broker.exporter).not.toBeNull();
      const body = await (await fetch(broker.exporter?.metricsUrl ?? '')).text();
      expect(body).toMatch(/^cp_kafka_server_replicamanager_underreplicatedpartitions \d/m);
      expect(body).toMatch(/^cp_kafka_server_replicamanager_partitioncount \d/m);
      expect(body).toMatch(/^cp_kafka_cluster_partition_underreplicated\{.*topic="replicated"/m);
    }
  });

  test('every rule of the JMX exporter configuration matches MBeans of every broker (Kafka 2.7.2)', async () => {
    await expectEveryExporterRuleToMatch(cluster);
  });

  test("Kafka's own tools run from the same jars with the harness's client configuration", async () => {
    const run = await cluster.runTool('kafka-topics', [
      '--bootstrap-server',
      cluster.bootstrap().join(','),
      '--command-config',
      cluster.clientPropertiesFile,
      '--describe',
      '--topic',
      'replicated',
    ]);
    expect(run.stderr).not.toMatch(/Exception/);
    expect(run.status).toBe(0);
    expect(run.stdout.match(/Partition: \d+/g)).toHaveLength(6);
  });

  test('a stopped broker shows as under-replicated partitions on the exporters, and catches up when started again', async () => {
    const urp = async (ordinal: number) => {
      const body = await (await fetch(cluster.brokers[ordinal]?.exporter?.metricsUrl ?? '')).text();
      const value = /^cp_kafka_server_replicamanager_underreplicatedpartitions (\S+)$/m.exec(
        body,
      )?.[1];
      return Number(value);
    };
    await cluster.stopBroker(2);
    expect(cluster.brokers[2]?.process?.running()).toBe(false);
    await eventually(async () => expect((await urp(0)) + (await urp(1))).toBeGreaterThan(0));

    await cluster.startBroker(2);
    await waitForFullIsr(cluster.kafka(), 'replicated', 3);
    await eventually(async () => {
      for (const ordinal of [0, 1, 2]) expect(await urp(ordinal)).toBe(0);
    });
  });
});

/** Retries an assertion until it holds or 60 s pass. */
async function eventually(assertion: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/** "Failed authentication with /… (SSL handshake failed)" lines in every broker log. */
function failedHandshakes(kafkaCluster: KafkaCluster): number {
  return kafkaCluster.brokers
    .map(
      (b) =>
        readFileSync(b.logFile, 'utf8').match(
          /Failed authentication with .* \(SSL handshake failed\)/g,
        )?.length ?? 0,
    )
    .reduce((a, b) => a + b, 0);
}

async function waitForFullIsr(
  kafka: Kafka,
  topic: string,
  size: number,
): Promise<{ partitionId: number; isr: number[] }[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const metadata = await withAdmin(kafka, (admin) =>
      admin.fetchTopicMetadata({ topics: [topic] }),
    );
    const partitions = metadata.topics[0]?.partitions ?? [];
    if (partitions.length > 0 && partitions.every((p) => p.isr.length === size)) {
      return partitions.map((p) => ({ partitionId: p.partitionId, isr: p.isr }));
    }
    if (Date.now() > deadline) {
      throw new Error(`ISR of ${topic} not ${size} within 60 s: ${JSON.stringify(partitions)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
