/**
 * When a broker counts as caught up: the pure decision behind the roll gate (docs/design.md, "The
 * roll gate"), from one metadata snapshot. The gate controller writes its verdict as the pod
 * condition `kafka-warden.io/broker-in-sync`; the StatefulSet controller, the PodDisruptionBudget
 * and the Services then treat a broker that is not caught up as not Ready.
 *
 * Caught up means: the broker is registered with the cluster (in ZooKeeper mode a broker registers
 * only after its log recovery), and it is in the ISR of every partition it holds a replica of,
 * except partitions that have no leader. Those are offline and wait for another broker: holding
 * this one back cannot bring them back, and under OrderedReady it would keep the controller from
 * re-creating the broker they wait for.
 *
 * Partitions whose replication factor is at most their min.insync.replicas are judged like any
 * other (a restarted replica rejoins their ISR as soon as it has caught up, so they never stall the
 * gate), and counted in the message: every restart of one of their replicas stops acks=all writes
 * to them, which no roll order can avoid (Strimzi's canRoll ignores them for the same reason).
 *
 * Why this is enough for the next restart: the StatefulSet controller (OrderedReady) restarts the
 * next broker only while every broker pod is Ready. With every broker caught up, every partition
 * with a leader has its full replica set in its ISR, so one more restart leaves RF - 1 ≥ min ISR
 * replicas wherever RF > min ISR.
 */

export const BROKER_SYNC_REASONS = ['InSync', 'NotRegistered', 'NotInIsr'] as const;
export type BrokerSyncReason = (typeof BROKER_SYNC_REASONS)[number];

export interface SyncPartition {
  topic: string;
  partition: number;
  /** -1: no leader (offline). */
  leader: number;
  replicas: readonly number[];
  isr: readonly number[];
}

export interface SyncSnapshot {
  /** Registered (live) broker ids. */
  brokers: readonly number[];
  partitions: readonly SyncPartition[];
  /** Effective min.insync.replicas per topic; a topic missing here counts as Kafka's default, 1. */
  minIsr: ReadonlyMap<string, number>;
}

export interface BrokerSyncVerdict {
  inSync: boolean;
  reason: BrokerSyncReason;
  /** For the condition's message: bounded, names at most a few partitions. */
  message: string;
  /** Partitions with a replica on the broker. */
  replicated: number;
  /** Of those, partitions whose ISR lacks the broker (offline ones not counted). */
  behind: number;
  /** Of those, partitions without a leader, not judged. */
  offline: number;
  /** Of those, partitions with replication factor ≤ min.insync.replicas. */
  noHeadroom: number;
}

/** How many partition names a message lists. */
const NAMED = 3;

export function brokerSyncVerdict(snapshot: SyncSnapshot, brokerId: number): BrokerSyncVerdict {
  const counts = { replicated: 0, behind: 0, offline: 0, noHeadroom: 0 };
  const behindNames: string[] = [];
  for (const p of snapshot.partitions) {
    if (!p.replicas.includes(brokerId)) continue;
    counts.replicated++;
    const replicationFactor = new Set(p.replicas).size;
    if (replicationFactor <= (snapshot.minIsr.get(p.topic) ?? 1)) counts.noHeadroom++;
    if (p.leader < 0) {
      counts.offline++;
      continue;
    }
    if (!p.isr.includes(brokerId)) {
      counts.behind++;
      if (behindNames.length < NAMED) behindNames.push(`${p.topic}-${p.partition}`);
    }
  }
  const notes = [
    counts.offline > 0
      ? `${counts.offline} offline partition(s) (no leader) not judged: they wait for another broker`
      : '',
    counts.noHeadroom > 0
      ? `${counts.noHeadroom} partition(s) have replication factor <= min.insync.replicas: acks=all writes to them stop during any restart of one of their replicas`
      : '',
  ].filter(Boolean);
  const tail = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  if (!snapshot.brokers.includes(brokerId)) {
    return {
      inSync: false,
      reason: 'NotRegistered',
      message: `broker ${brokerId} is not registered with the cluster (not started, still recovering its logs, or unreachable by the controller)`,
      ...counts,
    };
  }
  if (counts.behind > 0) {
    const more = counts.behind > behindNames.length ? ', …' : '';
    return {
      inSync: false,
      reason: 'NotInIsr',
      message: `broker ${brokerId} is not in the ISR of ${counts.behind} of its ${counts.replicated} partition(s) (${behindNames.join(', ')}${more})${tail}`,
      ...counts,
    };
  }
  return {
    inSync: true,
    reason: 'InSync',
    message: `broker ${brokerId} is registered and in the ISR of all ${counts.replicated - counts.offline} partition(s) it replicates${tail}`,
    ...counts,
  };
}
