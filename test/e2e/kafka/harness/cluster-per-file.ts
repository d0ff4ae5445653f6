/**
 * One Kafka cluster for a test file: started before its tests (each step bounded at 60 s inside
 * startKafkaCluster, so Jest's hook limit is above the sum) and always stopped after them, also
 * when a test or the start itself failed.
 */
import { startKafkaCluster, type KafkaCluster, type KafkaClusterOptions } from './cluster';

export function clusterPerFile(
  options: KafkaClusterOptions,
  started: (cluster: KafkaCluster) => void,
): void {
  let cluster: KafkaCluster | undefined;
  beforeAll(async () => {
    cluster = await startKafkaCluster(options);
    started(cluster);
    console.info(
      `${cluster.brokers.length} brokers (Kafka ${cluster.version}) up:`,
      cluster.timings,
    );
  }, 240_000);
  afterAll(async () => {
    await cluster?.stop();
  });
}
