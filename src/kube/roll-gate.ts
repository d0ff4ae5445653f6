/**
 * The roll gate's controller (`serve --roll-gate`; docs/design.md, "The roll gate"): for every
 * gated broker pod (label kafka-warden.io/roll-gate, readiness gate kafka-warden.io/broker-in-sync)
 * in the namespaces it covers, it asks the broker's cluster for a metadata snapshot and writes the
 * verdict of `brokerSyncVerdict` as the pod condition, on pods/status. Only the replica holding the
 * Lease writes (`isLeader`); the others watch and wait.
 *
 * What it writes, and never:
 * - True only from a snapshot that shows the broker caught up, read while the pod's containers are
 *   Ready (the broker process is up: its TCP readiness probe passed). Nothing else makes it True.
 * - False when a snapshot shows the broker behind, or the containers are not Ready. A running pod
 *   can go False again (docs/design.md says why that is wanted).
 * - When the cluster cannot be read: nothing on a pod that is True (no flapping of healthy brokers
 *   while kafka-warden or its connection is down), False with reason KafkaUnreachable on one that
 *   is not True yet. So a missing or failing controller can slow a roll, never speed it up.
 * - A condition with reason OperatorOverride is an operator's, written through pods/status: left
 *   alone for the life of that pod.
 * Each write carries the pod's resourceVersion: a pod changed since the list (an operator's
 * override, the kubelet) is judged again at the next pass, never overwritten blind.
 *
 * Bounded: at most MAX_PODS gated pods per pass, one question per cluster per pass with its own
 * deadline, clusters judged one after another, and the governing-Service fix remembered for at most
 * MAX_REMEMBERED Services. A pass that throws is logged and the loop goes on.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { brokerSyncVerdict, type SyncSnapshot } from '../core/broker-sync';
import { isRecord } from '../core/k8s-types';
import {
  BROKER_IN_SYNC_CONDITION,
  ROLL_GATE_LABEL,
  ROLL_GATE_LABEL_VALUE,
} from '../core/roll-gate';
import type { ClusterRef } from '../policy/cluster-state';
import { MERGE_PATCH, statusMessage, type KubeApi, type KubeResponse } from './kube-api';
import { WatchedLoop } from './watched-loop';

interface PodList {
  items?: unknown[];
  metadata?: { continue?: string };
}

export const OVERRIDE_REASON = 'OperatorOverride';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
const SELECTOR = `${ROLL_GATE_LABEL}=${ROLL_GATE_LABEL_VALUE}`;
/** Gated pods judged per pass; more are left for an operator to notice in the log. */
export const MAX_PODS = 2000;
const PAGE = 250;
const MAX_REMEMBERED = 1000;
const MAX_MESSAGE = 512;

export interface BrokerSyncSource {
  syncSnapshot(cluster: ClusterRef, signal: AbortSignal): Promise<SyncSnapshot>;
}

export interface RollGateOptions {
  api: KubeApi;
  kafka: BrokerSyncSource;
  logger: Logger;
  /** Whether this replica may write now (the Lease). */
  isLeader: () => boolean;
  /** Covered namespaces (list and watch per namespace); default: all. */
  namespaces?: readonly string[];
  excludeNamespaces?: readonly string[];
  /** Period of the full pass besides the watch (default 5 s). */
  intervalMs?: number;
  /** Deadline of one cluster's snapshot (default 10 s). */
  questionTimeoutMs?: number;
  debounceMs?: number;
  registry?: Registry;
  now?: () => number;
}

interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface GatedPod {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  brokerId: number;
  cluster: ClusterRef;
  containersReady: boolean;
  condition: PodCondition | undefined;
}

export interface WantedCondition {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export class RollGateController {
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly questionTimeoutMs: number;
  private readonly debounceMs: number;
  private readonly excluded: Set<string>;
  private readonly now: () => number;
  private readonly servicesFixed = new Set<string>();
  private readonly reported = new Set<string>();
  private readonly metrics: { writes: Counter<'status' | 'reason'>; leader: Gauge };
  private readonly loop: WatchedLoop;

  /** True once stop() was called: a pass checks it between its writes. */
  private get stopped(): boolean {
    return this.loop.stopped;
  }

  constructor(private readonly options: RollGateOptions) {
    this.logger = options.logger.child({ component: 'roll-gate' });
    this.intervalMs = options.intervalMs ?? 5_000;
    this.questionTimeoutMs = options.questionTimeoutMs ?? 10_000;
    this.debounceMs = options.debounceMs ?? 250;
    this.excluded = new Set(options.excludeNamespaces ?? []);
    this.now = options.now ?? Date.now;
    this.loop = new WatchedLoop({
      api: options.api,
      intervalMs: this.intervalMs,
      debounceMs: this.debounceMs,
      pass: () => this.reconcile(),
      onPassError: (error) => this.logger.error({ error: error.message }, 'roll gate pass failed'),
      logger: this.logger,
    });
    const registers = options.registry ? [options.registry] : [];
    this.metrics = {
      writes: new Counter({
        name: 'kafka_warden_roll_gate_conditions_total',
        help: `Writes of the ${BROKER_IN_SYNC_CONDITION} pod condition, by status and reason`,
        labelNames: ['status', 'reason'],
        registers,
      }),
      leader: new Gauge({
        name: 'kafka_warden_roll_gate_leader',
        help: '1 while this replica holds the roll gate Lease and writes conditions',
        registers,
      }),
    };
  }

  start(): void {
    const paths = this.collectionPaths().map(
      (p) => `${p}?labelSelector=${encodeURIComponent(SELECTOR)}`,
    );
    this.loop.start(paths);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Runs a pass soon (a watch event); bursts become one pass. */
  trigger(): void {
    this.loop.trigger();
  }

  /** One pass over the gated pods; does nothing unless this replica leads. */
  async reconcile(): Promise<void> {
    const leader = this.options.isLeader();
    this.metrics.leader.set(leader ? 1 : 0);
    if (!leader) return;
    const pods = await this.listGatedPods();
    const byCluster = new Map<string, GatedPod[]>();
    for (const pod of pods) {
      const key = `${pod.cluster.namespace}/${pod.cluster.statefulSet}/${pod.cluster.serviceName ?? ''}`;
      byCluster.set(key, [...(byCluster.get(key) ?? []), pod]);
    }
    for (const clusterPods of byCluster.values()) {
      if (this.stopped || !this.options.isLeader()) return;
      const cluster = (clusterPods[0] as GatedPod).cluster;
      await this.publishNotReady(cluster);
      const snapshot = await this.snapshot(cluster);
      for (const pod of clusterPods) {
        const wanted = wantedCondition(pod, snapshot);
        if (wanted) await this.write(pod, wanted);
      }
    }
  }

  private async snapshot(cluster: ClusterRef): Promise<SyncSnapshot | { error: string }> {
    const where = `${cluster.namespace}/${cluster.statefulSet}`;
    try {
      const snapshot = await this.options.kafka.syncSnapshot(
        cluster,
        AbortSignal.timeout(this.questionTimeoutMs),
      );
      this.reported.delete(`kafka:${where}`);
      return snapshot;
    } catch (error) {
      const message = (error as Error).message.slice(0, 300);
      this.reportOnce(
        `kafka:${where}`,
        { cluster: where, error: message },
        'roll gate: cannot read the cluster; conditions left as they are (pods not yet in sync stay not Ready)',
      );
      return { error: message };
    }
  }

  private async write(pod: GatedPod, wanted: WantedCondition): Promise<void> {
    const current = pod.condition;
    const transition = current?.status !== wanted.status || !current?.lastTransitionTime;
    const body = {
      metadata: { resourceVersion: pod.resourceVersion },
      status: {
        conditions: [
          {
            type: BROKER_IN_SYNC_CONDITION,
            status: wanted.status,
            reason: wanted.reason,
            message: wanted.message.slice(0, MAX_MESSAGE),
            lastProbeTime: null,
            lastTransitionTime: transition
              ? new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z')
              : current?.lastTransitionTime,
          },
        ],
      },
    };
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}/status`;
    const response = await this.options.api.request('PATCH', path, body, {
      contentType: STRATEGIC_MERGE_PATCH,
    });
    if (response.status === 200) {
      this.metrics.writes.inc({ status: wanted.status, reason: wanted.reason });
      if (transition) {
        this.logger.info(
          {
            pod: `${pod.namespace}/${pod.name}`,
            status: wanted.status,
            reason: wanted.reason,
            message: wanted.message,
          },
          `roll gate: ${BROKER_IN_SYNC_CONDITION} ${wanted.status}`,
        );
      }
    } else if (response.status !== 409 && response.status !== 404) {
      this.logger.warn(
        { pod: `${pod.namespace}/${pod.name}` },
        `roll gate: condition not written: ${statusMessage(response)}`,
      );
    }
  }

  /**
   * The broker's governing Service must publish not-ready addresses, or the Kafka controller cannot
   * reach a restarted broker by name before it is Ready, which it then never becomes. The
   * post-renderer renders it; for pods injected by the webhook (which does not see Services) the
   * controller sets it, once per Service per process, with a merge patch of that one field.
   */
  private async publishNotReady(cluster: ClusterRef): Promise<void> {
    if (!cluster.serviceName) return;
    const key = `${cluster.namespace}/${cluster.serviceName}`;
    if (this.servicesFixed.has(key)) return;
    const path = `/api/v1/namespaces/${encodeURIComponent(cluster.namespace)}/services/${encodeURIComponent(cluster.serviceName)}`;
    const current = await this.options.api.request<{
      spec?: { publishNotReadyAddresses?: boolean };
    }>('GET', path);
    if (current.status === 200 && current.body.spec?.publishNotReadyAddresses !== true) {
      const patched = await this.options.api.request(
        'PATCH',
        path,
        { spec: { publishNotReadyAddresses: true } },
        { contentType: MERGE_PATCH },
      );
      if (patched.status !== 200) {
        this.reportOnce(
          `svc:${key}`,
          { service: key },
          `roll gate: cannot set publishNotReadyAddresses: ${statusMessage(patched)}`,
        );
        return;
      }
      this.logger.info(
        { service: key },
        'roll gate: governing Service now publishes not-ready addresses',
      );
    } else if (current.status !== 200) {
      this.reportOnce(
        `svc:${key}`,
        { service: key },
        `roll gate: cannot read the governing Service: ${statusMessage(current)}`,
      );
      return;
    }
    if (this.servicesFixed.size < MAX_REMEMBERED) this.servicesFixed.add(key);
  }

  private async listGatedPods(): Promise<GatedPod[]> {
    const pods: GatedPod[] = [];
    let seen = 0;
    for (const base of this.collectionPaths()) {
      let next: string | undefined = '';
      while (next !== undefined && seen < MAX_PODS) {
        const query: string = `labelSelector=${encodeURIComponent(SELECTOR)}&limit=${PAGE}${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
        const response: KubeResponse<PodList> = await this.options.api.request<PodList>(
          'GET',
          `${base}?${query}`,
        );
        if (response.status !== 200) {
          throw new Error(`listing gated pods at ${base}: ${statusMessage(response)}`);
        }
        for (const item of response.body.items ?? []) {
          if (++seen > MAX_PODS) break;
          const pod = gatedPod(item);
          if (pod && !this.excluded.has(pod.namespace)) pods.push(pod);
        }
        next = response.body.metadata?.continue || undefined;
      }
    }
    if (seen > MAX_PODS) {
      this.reportOnce(
        'max-pods',
        { max: MAX_PODS },
        'roll gate: more gated pods than judged per pass; the rest wait',
      );
    }
    return pods;
  }

  private collectionPaths(): string[] {
    const namespaces = this.options.namespaces;
    if (!namespaces || namespaces.length === 0) return ['/api/v1/pods'];
    return namespaces
      .filter((ns) => !this.excluded.has(ns))
      .map((ns) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`);
  }

  private reportOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.reported.has(key)) return;
    if (this.reported.size < MAX_REMEMBERED) this.reported.add(key);
    this.logger.warn(fields, message);
  }
}

/**
 * What the condition should be, or undefined to leave it (an operator's override; the cluster
 * unreadable while the pod is True; nothing changed).
 */
export function wantedCondition(
  pod: Pick<GatedPod, 'brokerId' | 'containersReady' | 'condition'>,
  snapshot: SyncSnapshot | { error: string },
): WantedCondition | undefined {
  const current = pod.condition;
  if (current?.reason === OVERRIDE_REASON) return undefined;
  let wanted: WantedCondition;
  if (!pod.containersReady) {
    wanted = {
      status: 'False',
      reason: 'ContainersNotReady',
      message: `broker ${pod.brokerId}: its containers are not Ready yet (the broker process is not up); judged once they are`,
    };
  } else if ('error' in snapshot) {
    if (current?.status === 'True') return undefined;
    wanted = {
      status: 'False',
      reason: 'KafkaUnreachable',
      message: `kafka-warden cannot read the cluster's metadata, so broker ${pod.brokerId} is not judged caught up: ${snapshot.error}`,
    };
  } else {
    const verdict = brokerSyncVerdict(snapshot, pod.brokerId);
    wanted = {
      status: verdict.inSync ? 'True' : 'False',
      reason: verdict.reason,
      message: verdict.message,
    };
  }
  const same =
    current?.status === wanted.status &&
    current.reason === wanted.reason &&
    current.message === wanted.message.slice(0, MAX_MESSAGE);
  return same ? undefined : wanted;
}

/** A pod the gate judges: gated, owned by a StatefulSet, an ordinal name, not being deleted. */
export function gatedPod(item: unknown): GatedPod | undefined {
  if (!isRecord(item) || !isRecord(item.metadata) || !isRecord(item.spec)) return undefined;
  const meta = item.metadata;
  const spec = item.spec;
  const status = isRecord(item.status) ? item.status : {};
  const { namespace, name, uid, resourceVersion } = meta;
  if (typeof namespace !== 'string' || typeof name !== 'string') return undefined;
  if (typeof uid !== 'string' || typeof resourceVersion !== 'string') return undefined;
  if (meta.deletionTimestamp) return undefined;
  const gates = Array.isArray(spec.readinessGates) ? (spec.readinessGates as unknown[]) : [];
  if (!gates.some((g) => isRecord(g) && g.conditionType === BROKER_IN_SYNC_CONDITION)) {
    return undefined;
  }
  const owners = Array.isArray(meta.ownerReferences) ? (meta.ownerReferences as unknown[]) : [];
  const owner = owners.find(
    (o) => isRecord(o) && o.kind === 'StatefulSet' && o.controller === true,
  );
  const ordinal = /-(\d{1,6})$/.exec(name)?.[1];
  if (!isRecord(owner) || typeof owner.name !== 'string' || ordinal === undefined) return undefined;
  const conditions = Array.isArray(status.conditions) ? (status.conditions as unknown[]) : [];
  const find = (type: string) =>
    conditions.find((c): c is PodCondition => isRecord(c) && c.type === type);
  return {
    namespace,
    name,
    uid,
    resourceVersion,
    brokerId: Number(ordinal),
    cluster: {
      namespace,
      statefulSet: owner.name,
      ...(typeof spec.subdomain === 'string' ? { serviceName: spec.subdomain } : {}),
    },
    containersReady: find('ContainersReady')?.status === 'True',
    condition: find(BROKER_IN_SYNC_CONDITION),
  };
}
