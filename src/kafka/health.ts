/**
 * Partition health from one metadata snapshot: which partitions a broker restart would push below
 * min.insync.replicas or offline. Pure, so the definitions are tested without a cluster.
 *
 * Under-replicated: the ISR is shorter than the replica list, or a replica sits on a broker the
 * metadata lists as offline or not alive at all, or the partition has no leader. (Kafka's own
 * UnderReplicatedPartitions counts the first; the others are the same fact seen from the
 * controller before the ISR has shrunk.) At min ISR: ISR size ≤ min.insync.replicas.
 */
import type { PartitionAtRisk, PartitionHealth } from '../policy/cluster-state';
import type { ClusterMetadata, PartitionInfo } from './client';

/** Kafka's default min.insync.replicas, for a topic whose configuration could not be read. */
export const KAFKA_DEFAULT_MIN_ISR = 1;

export function assessPartitions(
  metadata: ClusterMetadata,
  minIsr: ReadonlyMap<string, number>,
): PartitionHealth {
  const live = new Set(metadata.brokers);
  const atRisk: PartitionAtRisk[] = [];
  for (const p of metadata.partitions) {
    const min = minIsr.get(p.topic) ?? KAFKA_DEFAULT_MIN_ISR;
    const underReplicated = isUnderReplicated(p, live);
    const atMinIsr = p.isr.length <= min;
    if (underReplicated || atMinIsr) {
      atRisk.push({
        name: `${p.topic}-${p.partition}`,
        replicas: p.replicas,
        isr: p.isr,
        minIsr: min,
        underReplicated,
        atMinIsr,
      });
    }
  }
  return { partitionCount: metadata.partitions.length, liveBrokers: metadata.brokers, atRisk };
}

function isUnderReplicated(p: PartitionInfo, live: ReadonlySet<number>): boolean {
  return (
    p.leader < 0 ||
    p.isr.length < p.replicas.length ||
    p.replicas.some((id) => p.offlineReplicas.includes(id) || !live.has(id) || !p.isr.includes(id))
  );
}

/** The `topic-partition` names each broker id of `brokerIds` holds a replica of. */
export function replicasOn(
  metadata: ClusterMetadata,
  brokerIds: readonly number[],
): Map<number, string[]> {
  const wanted = new Set(brokerIds);
  const result = new Map<number, string[]>();
  for (const p of metadata.partitions) {
    for (const id of new Set(p.replicas)) {
      if (!wanted.has(id)) continue;
      const names = result.get(id) ?? [];
      names.push(`${p.topic}-${p.partition}`);
      result.set(id, names);
    }
  }
  return result;
}
