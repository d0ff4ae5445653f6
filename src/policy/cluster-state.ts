/**
 * The extension point for live Kafka checks. The manifests alone cannot tell whether partitions are
 * under-replicated or whether the brokers a scale-down removes still hold replicas; a probe that
 * talks to the cluster can. src/kafka/probe.ts implements it with Kafka's admin protocol, and
 * `serve --kafka-tls-dir` injects it. A rule asks it only through `askClusterState`, which bounds
 * the question in time and applies the policy's failOpen choice when the probe cannot answer.
 */
import { describeFailure, withTimeout } from '../async/deadline';

/** Identifies the Kafka cluster a broker StatefulSet forms. */
export interface ClusterRef {
  namespace: string;
  /** The broker StatefulSet's name. */
  statefulSet: string;
  /** Its headless Service (spec.serviceName), the usual bootstrap address. */
  serviceName?: string;
}

/** A partition that a broker restart would make (more) unavailable, with the facts that say why. */
export interface PartitionAtRisk {
  /** `topic-partition`, the way Kafka's tools print it. */
  name: string;
  replicas: readonly number[];
  isr: readonly number[];
  /** The effective min.insync.replicas (topic config over broker default). */
  minIsr: number;
  /** ISR smaller than the replica list (a replica is behind, or its broker is down). */
  underReplicated: boolean;
  /** ISR at or below min.insync.replicas: one more replica out and acks=all writes fail. */
  atMinIsr: boolean;
}

export interface PartitionHealth {
  /** How many partitions the cluster has (all topics, internal ones included). */
  partitionCount: number;
  /** The brokers the cluster's metadata lists as alive. */
  liveBrokers: readonly number[];
  /** Under-replicated or at/below min ISR, sorted by name. Empty when every partition is healthy. */
  atRisk: readonly PartitionAtRisk[];
}

export interface ClusterStateProbe {
  /**
   * Which partitions are under-replicated or at their min ISR right now. Never answered from a
   * cache: a stale healthy answer could let a roll through after a broker died.
   */
  partitionHealth(cluster: ClusterRef, signal: AbortSignal): Promise<PartitionHealth>;
  /**
   * The `topic-partition` names each of these broker ids hosts a replica of (an id hosting none is
   * absent or maps to an empty list). Never answered from a cache either.
   */
  replicasOnBrokers(
    cluster: ClusterRef,
    brokerIds: readonly number[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<number, readonly string[]>>;
}

export interface ClusterStateSettings {
  /** Deadline for one question to the probe. */
  timeoutMs: number;
  /**
   * When the probe fails or times out: true judges as if there were no probe (with a note), false
   * denies.
   */
  failOpen: boolean;
}

export type ClusterAnswer<T> =
  | { status: 'answered'; value: T }
  /** No probe is configured: the rule judges from the manifests alone. */
  | { status: 'no-probe' }
  | {
      status: 'unavailable';
      reason: string;
      failOpen: boolean;
      /** The policy field that set failOpen, for messages: `rules.<id>.clusterState.failOpen`. */
      setting: string;
    };

export async function askClusterState<T>(
  probe: ClusterStateProbe | undefined,
  settings: ClusterStateSettings & { setting?: string },
  what: string,
  question: (probe: ClusterStateProbe, signal: AbortSignal) => Promise<T>,
): Promise<ClusterAnswer<T>> {
  if (!probe) return { status: 'no-probe' };
  try {
    const value = await withTimeout(what, settings.timeoutMs, (signal) => question(probe, signal));
    return { status: 'answered', value };
  } catch (error) {
    return {
      status: 'unavailable',
      reason: describeFailure(error),
      failOpen: settings.failOpen,
      setting: settings.setting ?? 'clusterState.failOpen',
    };
  }
}
