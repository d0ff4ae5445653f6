/**
 * The webhook door: pods of the stock cp-helm-charts 0.6.1 StatefulSet (no post-renderer), each
 * sent through POST /mutate with the tls-only configuration and patched with the answer, as the
 * API server would store them. Those pods start and serve mutual TLS.
 */
import path from 'node:path';
import { loadConfigFile } from '../../../src/config/load-config';
import { STATUS_ANNOTATION } from '../../../src/core/injection-status';
import type { PodSpec } from '../../../src/core/k8s-types';
import { GOLDEN_DIR } from '../../golden/cases';
import { consumeAll, produceNumbered, withAdmin } from './harness/client-ops';
import { type KafkaCluster } from './harness/cluster';
import { clusterPerFile } from './harness/cluster-per-file';

jest.setTimeout(180_000);

const config = loadConfigFile(path.join(GOLDEN_DIR, 'configs', 'tls-only.yaml'));
let cluster: KafkaCluster;

clusterPerFile({ version: '2.7.2', source: 'webhook', config }, (started) => (cluster = started));

describe('Kafka 2.7.2 brokers from pods mutated through POST /mutate (tls-only)', () => {
  test('the pods are the stock chart pods as the webhook patched them', () => {
    const stock = (cluster.pods.statefulSet.spec as { template: { spec: PodSpec } }).template.spec;
    expect(stock.initContainers ?? []).toEqual([]);
    for (const pod of cluster.pods.pods) {
      expect(pod.metadata?.annotations?.[STATUS_ANNOTATION]).toBeDefined();
      expect((pod.spec as PodSpec).initContainers?.map((c) => c.name)).toEqual([
        'kafka-warden-init',
      ]);
    }
    for (const broker of cluster.brokers) {
      expect(broker.properties['advertised.listeners']).toBe(
        `SSL://${broker.podName}.my-cp-cp-kafka-headless.default:9093`,
      );
    }
  });

  test('produce and consume over SSL with the client keystore kafka-warden issued', async () => {
    const kafka = cluster.kafka();
    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        topics: [{ topic: 'webhook', numPartitions: 3, replicationFactor: 3 }],
        waitForLeaders: true,
      }),
    );
    await produceNumbered(kafka, 'webhook', 10);
    expect((await consumeAll(kafka, 'webhook', 10)).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => String(i)).sort(),
    );
  });

  test('the JMX exporter the webhook injected serves the under-replicated partitions metric', async () => {
    for (const broker of cluster.brokers) {
      const body = await (await fetch(broker.exporter?.metricsUrl ?? 'http://invalid')).text();
      expect(body).toMatch(/^cp_kafka_server_replicamanager_underreplicatedpartitions 0\.0$/m);
    }
  });
});
