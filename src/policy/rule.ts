/**
 * What a rule is: an id, a default mode, default parameters, the workloads and operations it looks
 * at, and an evaluation that returns outcomes as data. Rules never throw for a policy violation;
 * a throw is a bug. Exemptions and modes are applied by the engine, not by rules.
 */
import type { WorkloadRole } from '../core/detect';
import type { ClusterAnswer, ClusterRef, ClusterStateProbe } from './cluster-state';
import type { Mode, Operation, Outcome, PolicyRequest } from './types';
import type { VolumeClaimLookup } from './volume-claims';
import type { WorkloadView } from './workload';

export interface RuleResult {
  outcome: Outcome;
  summary: string;
  message: string;
  check?: string;
  /** The mode of this particular result when the rule decides it per check (config-sanity). */
  mode?: Mode;
}

export type ConfigMapLookup =
  | { status: 'found'; data: Readonly<Record<string, string>> }
  | { status: 'missing' }
  | { status: 'failed'; reason: string };

export interface RuleContext<P extends object = object> {
  request: PolicyRequest;
  operation: Operation;
  namespace: string;
  role: WorkloadRole;
  /** The workload after the change (CREATE, UPDATE). */
  current?: WorkloadView;
  /** The workload before the change (UPDATE, DELETE). */
  previous?: WorkloadView;
  /** The rule's parameters: its defaults overlaid by the policy and the namespace override. */
  parameters: Readonly<P>;
  /** The mode the policy sets for this rule, when it sets one. */
  configuredMode?: Mode;
  /** The cluster the workload belongs to, for the cluster-state probe. */
  cluster: ClusterRef;
  /** A ConfigMap in the request's namespace, through the PlanSource, bounded in time. */
  readConfigMap(name: string): Promise<ConfigMapLookup>;
  /**
   * The PersistentVolumeClaims in the request's namespace, bounded in time. Absent where there is
   * no cluster to ask (`check`, the post-renderer, `serve --no-kube`).
   */
  listVolumeClaims?: () => Promise<VolumeClaimLookup>;
  /** Whether a ClusterStateProbe is configured (askCluster then answers, or is unavailable). */
  hasClusterProbe: boolean;
  /**
   * A question to the ClusterStateProbe, bounded by the rule's clusterState.timeoutMs, with its
   * failOpen applied.
   */
  askCluster<T>(
    what: string,
    question: (probe: ClusterStateProbe, signal: AbortSignal) => Promise<T>,
  ): Promise<ClusterAnswer<T>>;
}

export interface Rule<P extends object = object> {
  readonly id: string;
  /** One line for documentation and `--help`. */
  readonly title: string;
  readonly defaultMode: Mode;
  readonly defaultParameters: P;
  readonly roles: readonly WorkloadRole[];
  readonly operations: readonly Operation[];
  // Method syntax on purpose: a Rule<{ limit: number }> must fit in a list of Rule<object>.
  evaluate(context: RuleContext<P>): RuleResult[] | Promise<RuleResult[]>;
}

export function pass(summary: string, message = summary): RuleResult {
  return { outcome: 'pass', summary, message };
}

export function skip(summary: string, message = summary): RuleResult {
  return { outcome: 'skip', summary, message };
}

export function fail(summary: string, message: string): RuleResult {
  return { outcome: 'fail', summary, message };
}

export function warn(summary: string, message: string): RuleResult {
  return { outcome: 'warn', summary, message };
}

/** `StatefulSet/name`, the way findings name a workload. */
export function subject(view: WorkloadView): string {
  return `${view.kind}/${view.name}`;
}

/** What the pods of a workload are called in messages. */
export function podNoun(role: WorkloadRole, plural = true): string {
  if (role === 'kafka') return plural ? 'brokers' : 'broker';
  return plural ? 'ZooKeeper servers' : 'ZooKeeper server';
}
