/**
 * A change to a broker StatefulSet's pod template rolls every broker, one at a time. Each restart
 * takes that broker's replicas out of their partitions' ISR for a while; a partition that is
 * already under-replicated or at its min ISR then drops below min.insync.replicas (acks=all writes
 * fail) or goes offline. Strimzi's KafkaRoller refuses to restart a broker in that state; this rule
 * refuses the change that would start the roll, while the live cluster says so.
 *
 * The answer is never cached (src/kafka/probe.ts): "healthy a few seconds ago" is not evidence once
 * a broker may have died since.
 */
import type { PartitionAtRisk, PartitionHealth } from '../cluster-state';
import { templateChanges } from '../pod-template';
import {
  fail,
  pass,
  skip,
  subject,
  warn,
  type Rule,
  type RuleContext,
  type RuleResult,
} from '../rule';
import type { WorkloadView } from '../workload';
import { namedList } from './naming';

/** What to do about partitions whose replication factor is at or below their min.insync.replicas. */
export type LowReplicationAction = 'fail' | 'warn' | 'ignore';

export interface RollingRestartParameters {
  /** How many partitions a message names before "and N more". */
  maxPartitionsNamed: number;
  /**
   * Partitions with replicas ≤ min.insync.replicas are at their min ISR for good: every restart of
   * one of their brokers stops acks=all writes (replication factor 1: takes them offline), and
   * waiting does not change that. `warn` (default) allows with a warning naming them, `fail` denies,
   * `ignore` says nothing.
   */
  lowReplicationFactor: LowReplicationAction;
}

const RULE_ID = 'rolling-restart';

export const rollingRestart: Rule<RollingRestartParameters> = {
  id: RULE_ID,
  title: 'a broker pod-template change (a rolling restart) waits until no partition is at risk',
  defaultMode: 'enforce',
  defaultParameters: { maxPartitionsNamed: 10, lowReplicationFactor: 'warn' },
  roles: ['kafka'],
  operations: ['UPDATE'],
  // Not async: an unchanged pod template, most updates, is judged without a Promise.
  evaluate(context) {
    const { current, previous } = context;
    if (!current || !previous) return [];
    const changes = templateChanges(previous.spec.template, current.spec.template);
    if (changes.length === 0) return [pass('pod template unchanged: no broker restarts')];
    const noRoll = whyNothingRolls(current, previous);
    if (noRoll) return [pass(`pod template changes, but ${noRoll}`)];
    return judge(context, current, changes);
  },
};

/** Template changes that restart nothing: OnDelete, a partition above every ordinal, no pods. */
function whyNothingRolls(current: WorkloadView, previous: WorkloadView): string | undefined {
  const strategy = current.spec.updateStrategy;
  if (strategy?.type === 'OnDelete') {
    return 'updateStrategy OnDelete restarts a broker only when its pod is deleted (see update-strategy)';
  }
  const partition = strategy?.rollingUpdate?.partition;
  if (typeof partition === 'number' && partition >= current.replicas) {
    return `rollingUpdate.partition ${partition} holds back every ordinal (replicas ${current.replicas})`;
  }
  if (previous.replicas === 0) return 'the StatefulSet runs no broker';
  return undefined;
}

async function judge(
  context: RuleContext<RollingRestartParameters>,
  view: WorkloadView,
  changes: string[],
): Promise<RuleResult[]> {
  const { maxPartitionsNamed, lowReplicationFactor } = context.parameters;
  const what = `the pod template of ${subject(view)} changes (${namedList(changes, 3, 'field')})`;
  const roll = `${what}, which restarts every broker one by one`;
  const answer = await context.askCluster('checking partition health', (probe, signal) =>
    probe.partitionHealth(context.cluster, signal),
  );
  if (answer.status === 'no-probe') {
    return [
      skip(
        'rolling restart not checked against the live cluster (no cluster-state probe)',
        `${roll}. Without a cluster-state probe (serve --kafka-tls-dir) kafka-warden cannot see ` +
          `whether partitions are under-replicated; check that the broker metric ` +
          `UnderReplicatedPartitions is 0 on every broker before rolling.`,
      ),
    ];
  }
  if (answer.status === 'unavailable') {
    const note = `the live check failed (${answer.reason})`;
    return answer.failOpen
      ? [
          warn(
            `rolling restart not checked: ${note}`,
            `${roll}; ${note}, allowed because ${answer.setting} is true. Check that ` +
              `UnderReplicatedPartitions is 0 on every broker before the roll proceeds.`,
          ),
        ]
      : [
          fail(
            'rolling restart: cannot confirm that every partition is fully replicated',
            `${roll}. Restarting a broker while partitions are under-replicated stops acks=all ` +
              `writes or takes partitions offline, and ${note}; the policy fails closed ` +
              `(${answer.setting}: false). Retry when the cluster answers.${EXEMPTION_HINT}`,
          ),
        ];
  }
  return verdicts(answer.value, roll, maxPartitionsNamed, lowReplicationFactor);
}

// An exemption counts only from the object as it was, so the annotation is a change of its own;
// annotating alone does not roll the brokers and passes this rule.
const EXEMPTION_HINT =
  ` If this change is the fix for a broker that is down, first annotate the StatefulSet on its ` +
  `own (kubectl annotate statefulset <name> kafka-warden.io/exempt-${RULE_ID}="<reason>"), then ` +
  `apply the change; every exempted roll is audited until you remove the annotation.`;

function verdicts(
  health: PartitionHealth,
  roll: string,
  limit: number,
  lowReplicationFactor: LowReplicationAction,
): RuleResult[] {
  // Replicas ≤ min ISR: at min ISR whatever happens; everything else at risk is a passing state.
  const permanent = health.atRisk.filter((p) => isPermanentlyAtMinIsr(p));
  const transient = health.atRisk.filter((p) => !isPermanentlyAtMinIsr(p));
  const results: RuleResult[] = [];
  if (transient.length > 0) {
    const under = transient.filter((p) => p.underReplicated).length;
    results.push(
      fail(
        `rolling restart: ${transient.length} partition(s) under-replicated or at min ISR`,
        `${roll}. The cluster reports ${transient.length} of ${health.partitionCount} ` +
          `partition(s) at risk (${under} under-replicated): ` +
          `${namedList(transient.map(describe), limit, 'partition')}. Restarting a broker that ` +
          `holds one of their in-sync replicas drops it below min.insync.replicas (acks=all ` +
          `writes fail) or takes it offline. To proceed: find why replicas are out of sync ` +
          `(a broker down or catching up: kafka-topics --describe --under-replicated-partitions), ` +
          `wait until every partition is back in sync, then apply the change again.` +
          EXEMPTION_HINT,
      ),
    );
  }
  if (permanent.length > 0 && lowReplicationFactor !== 'ignore') {
    const text =
      `${roll}. ${permanent.length} partition(s) have no more replicas than their ` +
      `min.insync.replicas, so every restart of one of their brokers stops acks=all writes ` +
      `(replication factor 1: takes them offline) until it is back: ` +
      `${namedList(permanent.map(describe), limit, 'partition')}. Waiting does not change that; ` +
      `raising their replication factor (a reassignment) or lowering min.insync.replicas does.`;
    const summary = `rolling restart: ${permanent.length} partition(s) have replicas ≤ min ISR`;
    results.push(lowReplicationFactor === 'fail' ? fail(summary, text) : warn(summary, text));
  }
  if (results.length > 0) return results;
  const ignored =
    permanent.length > 0 ? ` (${permanent.length} with replicas ≤ min ISR not counted)` : '';
  return [
    pass(
      'rolling restart allowed: no partition is under-replicated or at its min ISR',
      `${roll}; the cluster reports all ${health.partitionCount} partition(s) in sync above ` +
        `their min ISR${ignored}, on brokers ${health.liveBrokers.join(', ') || '(none)'}.`,
    ),
  ];
}

function isPermanentlyAtMinIsr(partition: PartitionAtRisk): boolean {
  return !partition.underReplicated && partition.replicas.length <= partition.minIsr;
}

function describe(p: PartitionAtRisk): string {
  const state = p.atMinIsr ? `, min.insync.replicas ${p.minIsr}` : '';
  return `${p.name} (ISR [${p.isr.join(',')}] of replicas [${p.replicas.join(',')}]${state})`;
}
