/**
 * SASL/PLAIN over TLS (test/golden/configs/sasl-tls-only.yaml): the in-cluster listener becomes
 * SASL_SSL, the brokers replicate over it logging in with the `broker` user of the JAAS Secret
 * kafka-warden defines (src/tls/jaas.ts), and clients log in with a user from the same file.
 */
import path from 'node:path';
import { loadConfigFile } from '../../../src/config/load-config';
import { GOLDEN_DIR } from '../../golden/cases';
import { consumeAll, failureOf, produceNumbered, withAdmin } from './harness/client-ops';
import { type KafkaCluster } from './harness/cluster';
import { clusterPerFile } from './harness/cluster-per-file';

jest.setTimeout(180_000);

const config = loadConfigFile(path.join(GOLDEN_DIR, 'configs', 'sasl-tls-only.yaml'));
let cluster: KafkaCluster;

clusterPerFile(
  { version: '2.7.2', source: 'post-renderer', config },
  (started) => (cluster = started),
);

describe('Kafka 2.7.2 brokers with SASL/PLAIN over SSL (sasl-tls-only)', () => {
  test('the only listener is SASL_SSL, also between brokers, with the JAAS file on KAFKA_OPTS', () => {
    expect(cluster.clientListener).toBe('SASL_SSL');
    for (const broker of cluster.brokers) {
      expect(broker.properties['advertised.listeners']).toBe(
        `SASL_SSL://${broker.podName}.my-cp-cp-kafka-headless.default:9093`,
      );
      expect(broker.properties['inter.broker.listener.name']).toBe('SASL_SSL');
      expect(broker.properties['sasl.enabled.mechanisms']).toBe('PLAIN');
      expect(broker.image.env.KAFKA_OPTS).toContain(
        '-Djava.security.auth.login.config=/etc/kafka/jaas/kafka_server_jaas.conf',
      );
    }
  });

  test('produce and consume as a user of the JAAS Secret, over TLS without a client certificate', async () => {
    const kafka = cluster.kafka({ tls: 'server-only' });
    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        topics: [{ topic: 'sasl', numPartitions: 3, replicationFactor: 3 }],
        waitForLeaders: true,
      }),
    );
    await produceNumbered(kafka, 'sasl', 10);
    expect((await consumeAll(kafka, 'sasl', 10)).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => String(i)).sort(),
    );
  });

  test('a wrong password is refused', async () => {
    const kafka = cluster.kafka({
      sasl: { mechanism: 'plain', username: cluster.saslPlain().username, password: 'wrong' },
    });
    const failure = await failureOf(
      withAdmin(kafka, (admin) => admin.listTopics(), { retries: 0 }),
    );
    expect(failure).toMatch(
      /SASL PLAIN authentication failed: Authentication failed: Invalid username or password/,
    );
  });

  test('a client without SASL is refused', async () => {
    const kafka = cluster.kafka({ sasl: null });
    const failure = await failureOf(
      withAdmin(kafka, (admin) => admin.listTopics(), { retries: 0 }),
    );
    // The broker expects a SASL handshake first and closes the connection on anything else.
    expect(failure).toMatch(/Connection error|Closed connection|ECONNRESET|socket hang up/i);
  });

  test('the brokers replicate over SASL_SSL: replication factor 3 reaches ISR 3', async () => {
    const kafka = cluster.kafka();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const metadata = await withAdmin(kafka, (admin) =>
        admin.fetchTopicMetadata({ topics: ['sasl'] }),
      );
      const partitions = metadata.topics[0]?.partitions ?? [];
      if (partitions.length === 3 && partitions.every((p) => p.isr.length === 3)) break;
      if (Date.now() > deadline) throw new Error(`ISR not 3: ${JSON.stringify(partitions)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });
});
