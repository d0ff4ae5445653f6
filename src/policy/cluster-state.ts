/**
 * The extension point for live Kafka checks. The manifests alone cannot tell whether partitions are
 * under-replicated or whether the brokers a scale-down removes still hold replicas; a probe that
 * talks to the cluster can. None is built in yet: the server will inject one (a later issue), and a
 * rule asks it only through `askClusterState`, which bounds the question in time and applies the
 * policy's failOpen choice when the probe cannot answer.
 */
import { describeFailure, withTimeout } from './with-timeout';

/** Identifies the Kafka cluster a broker StatefulSet forms. */
export interface ClusterRef {
  namespace: string;
  /** The broker StatefulSet's name. */
  statefulSet: string;
  /** Its headless Service (spec.serviceName), the usual bootstrap address. */
  serviceName?: string;
}

export interface ClusterStateProbe {
  /** How many partitions of the cluster are under-replicated right now. */
  underReplicatedPartitions(cluster: ClusterRef, signal: AbortSignal): Promise<number>;
  /** How many partition replicas each of these broker ids hosts (an absent id hosts none). */
  replicasOnBrokers(
    cluster: ClusterRef,
    brokerIds: readonly number[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<number, number>>;
}

export interface ClusterStateSettings {
  /** Deadline for one question to the probe. */
  timeoutMs: number;
  /** When the probe fails or times out: true lets the request through (with a note), false denies. */
  failOpen: boolean;
}

export type ClusterAnswer<T> =
  | { status: 'answered'; value: T }
  /** No probe is configured: the rule judges from the manifests alone. */
  | { status: 'no-probe' }
  | { status: 'unavailable'; reason: string; failOpen: boolean };

export async function askClusterState<T>(
  probe: ClusterStateProbe | undefined,
  settings: ClusterStateSettings,
  what: string,
  question: (probe: ClusterStateProbe, signal: AbortSignal) => Promise<T>,
): Promise<ClusterAnswer<T>> {
  if (!probe) return { status: 'no-probe' };
  try {
    const value = await withTimeout(what, settings.timeoutMs, (signal) => question(probe, signal));
    return { status: 'answered', value };
  } catch (error) {
    return { status: 'unavailable', reason: describeFailure(error), failOpen: settings.failOpen };
  }
}
