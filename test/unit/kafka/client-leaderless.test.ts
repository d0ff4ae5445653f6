/**
 * A partition without a leader is data, not a failure: kafkajs rejects a Metadata response with any
 * partition error, and Kafka reports LEADER_NOT_AVAILABLE for each offline partition, so without
 * the client's handling one offline partition made syncSnapshot and partitionHealth fail (seen
 * against real brokers in test/e2e/kafka/roll-gate-sync.test.ts). The fake Admin below fails as
 * kafkajs does: its own (patched) response parser throws, wrapped by its retrier.
 */
import { KafkaJSNumberOfRetriesExceeded, type Admin } from 'kafkajs';
import metadataV6 from 'kafkajs/src/protocol/requests/metadata/v6/response';
import { KafkajsAdmin } from '../../../src/kafka/client';

const LEADER_NOT_AVAILABLE = 5;
const LISTENER_NOT_FOUND = 72;

function response(offlineErrorCode: number) {
  return {
    throttleTime: 0,
    brokers: [
      { nodeId: 1, host: 'b1', port: 9093, rack: null },
      { nodeId: 0, host: 'b0', port: 9093, rack: null },
    ],
    clusterId: 'c',
    controllerId: 0,
    topicMetadata: [
      {
        topicErrorCode: 0,
        topic: 'orders',
        isInternal: false,
        partitionMetadata: [
          {
            partitionErrorCode: 0,
            partitionId: 0,
            leader: 0,
            replicas: [0, 1],
            isr: [0, 1],
            offlineReplicas: [],
          },
          {
            partitionErrorCode: offlineErrorCode,
            partitionId: 1,
            leader: -1,
            replicas: [2],
            isr: [2],
            offlineReplicas: [2],
          },
        ],
      },
    ],
  };
}

/** An Admin whose every Metadata request gets `data` back, parsed by kafkajs' own parser. */
function fakeAdmin(data: unknown): Admin {
  const request = async () => {
    try {
      return await metadataV6.parse(data);
    } catch (error) {
      throw new KafkaJSNumberOfRetriesExceeded(error as Error, { retryCount: 1, retryTime: 100 });
    }
  };
  const fake = {
    fetchTopicMetadata: request,
    describeCluster: request,
    disconnect: () => Promise.resolve(),
  };
  // Only the two methods metadata() calls exist; the rest of Admin is never reached.
  return fake as unknown as Admin;
}

describe('KafkajsAdmin.metadata with a partition that has no leader', () => {
  test('kafkajs itself still rejects the response (its own clients retry on it)', async () => {
    await expect(metadataV6.parse(response(LEADER_NOT_AVAILABLE))).rejects.toThrow(/no leader/);
  });

  test('the partition is reported with leader -1, the rest and the brokers as they are', async () => {
    const admin = new KafkajsAdmin(fakeAdmin(response(LEADER_NOT_AVAILABLE)), 'b0:9093');
    const metadata = await admin.metadata();
    expect(metadata.brokers).toEqual([0, 1]);
    expect(metadata.partitions).toEqual([
      {
        topic: 'orders',
        partition: 0,
        leader: 0,
        replicas: [0, 1],
        isr: [0, 1],
        offlineReplicas: [],
      },
      { topic: 'orders', partition: 1, leader: -1, replicas: [2], isr: [2], offlineReplicas: [2] },
    ]);
  });

  test('any other partition error is still a failure', async () => {
    const admin = new KafkajsAdmin(fakeAdmin(response(LISTENER_NOT_FOUND)), 'b0:9093');
    await expect(admin.metadata()).rejects.toThrow(
      'reading the cluster metadata from Kafka at b0:9093 failed',
    );
  });
});
