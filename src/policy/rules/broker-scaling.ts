/**
 * A change of the broker count. Scale-down removes the highest ordinals (in cp-helm-charts the
 * broker id is the ordinal), and with them every partition replica they hold unless those were
 * moved first. Scale-up adds brokers that stay empty until partitions are moved to them.
 *
 * With a ClusterStateProbe the live cluster is the truth for a scale-down: allowed when the removed
 * brokers host no replica (plan or not), denied naming the partitions while they host any. Without
 * one (or when it cannot answer and the policy fails open) a reassignment plan is the evidence: it
 * proves intent, not execution. A scale-up with a probe is allowed with a warning (the plan can
 * only be executed once the new brokers exist); without one it needs a plan or an acknowledgement.
 *
 * A CREATE can be a scale-down too: delete the StatefulSet (with a reason), create it again with
 * fewer replicas. kafka-warden keeps no state, but the cluster does: the volume claims of the
 * brokers the new StatefulSet leaves out are still there (and with --cascade=orphan their pods,
 * which the new StatefulSet would adopt and delete). Where the claims can be listed (the webhook
 * server), a CREATE that leaves claimed ordinals out is judged as the scale-down it is.
 */
import { isBrokerCount, MAX_BROKERS } from '../../core/limits';
import type { ClusterAnswer } from '../cluster-state';
import { PLAN_CONFIGMAP_KEY } from '../plan-source';
import {
  brokersIn,
  parseReassignmentPlan,
  partitionsOn,
  type ReassignmentPlan,
} from '../reassignment-plan';
import { fail, pass, subject, warn, type Rule, type RuleContext, type RuleResult } from '../rule';
import { claimTemplates, claimsByOrdinal } from '../volume-claims';
import { annotation, type WorkloadView } from '../workload';
import { namedList } from './naming';

export const PLAN_ANNOTATION = 'kafka-warden.io/reassignment-plan';
export const PLAN_CONFIGMAP_ANNOTATION = 'kafka-warden.io/reassignment-plan-configmap';
export const SCALE_UP_ACK_ANNOTATION = 'kafka-warden.io/scale-up-acknowledged';

export interface BrokerScalingParameters {
  /** When true, a scale-up needs a plan; neither the acknowledgement nor a probe is enough. */
  requirePlanForScaleUp: boolean;
  /** How many partitions a message names before "and N more". */
  maxPartitionsNamed: number;
}

/** One replica-count change. */
interface Scaling {
  context: RuleContext<BrokerScalingParameters>;
  view: WorkloadView;
  from: number;
  to: number;
  /** A CREATE: the claims, by ordinal, that an earlier StatefulSet of the name left beyond `to`. */
  leftBehind?: ReadonlyMap<number, readonly string[]>;
}

/** The sentences every message about one scale-down shares. */
interface ScaleDownText {
  change: string;
  why: string;
  how: string;
}

type PlanLookup =
  | { status: 'none' }
  | { status: 'invalid'; where: string; problem: string }
  | { status: 'ok'; where: string; plan: ReassignmentPlan };

type HostedReplicas = ReadonlyMap<number, readonly string[]>;

export const brokerScaling: Rule<BrokerScalingParameters> = {
  id: 'broker-scaling',
  title: 'a broker count change needs empty brokers to remove, or a reassignment plan',
  defaultMode: 'enforce',
  defaultParameters: { requirePlanForScaleUp: false, maxPartitionsNamed: 10 },
  roles: ['kafka'],
  operations: ['CREATE', 'UPDATE'],
  // Not async: an unchanged broker count, most updates, is judged without a Promise.
  evaluate(context) {
    const { current, previous } = context;
    if (context.operation === 'CREATE') return recreation(context);
    if (!current || !previous) return [];
    const from = previous.replicas;
    const to = current.replicas;
    if (from === to) return [pass(`broker count unchanged (${to})`)];
    const unjudgeable: number | undefined = [from, to].find(isOutsideBrokerCounts);
    if (unjudgeable !== undefined) {
      // Refused before any per-broker work: the removed or added ids are listed one by one.
      return [
        fail(
          `broker count ${from} → ${to}: ${unjudgeable} is not a broker count kafka-warden judges`,
          `${subject(current)} changes spec.replicas from ${from} to ${to}; kafka-warden judges ` +
            `broker counts that are whole numbers from 0 to ${MAX_BROKERS}, and ${unjudgeable} is not. ` +
            `To proceed: set spec.replicas to the number of brokers the cluster should run.`,
        ),
      ];
    }
    const scaling: Scaling = { context, view: current, from, to };
    return (to < from ? scaleDown(scaling) : scaleUp(scaling)).then((result) => [result]);
  },
};

async function findPlan(context: RuleContext, view: WorkloadView): Promise<PlanLookup> {
  const inline = annotation(view, PLAN_ANNOTATION);
  const configMap = annotation(view, PLAN_CONFIGMAP_ANNOTATION);
  if (inline && configMap) {
    return {
      status: 'invalid',
      where: 'the annotations',
      problem: `give ${PLAN_ANNOTATION} or ${PLAN_CONFIGMAP_ANNOTATION}, not both`,
    };
  }
  if (inline) return parsed(`annotation ${PLAN_ANNOTATION}`, inline);
  if (!configMap) return { status: 'none' };
  const where = `ConfigMap ${context.namespace}/${configMap}`;
  const lookup = await context.readConfigMap(configMap);
  if (lookup.status === 'failed') {
    return { status: 'invalid', where, problem: `could not be read: ${lookup.reason}` };
  }
  if (lookup.status === 'missing') return { status: 'invalid', where, problem: 'does not exist' };
  const text = lookup.data[PLAN_CONFIGMAP_KEY];
  if (text === undefined) {
    const keys = Object.keys(lookup.data);
    const has = keys.length > 0 ? `it has ${keys.join(', ')}` : 'it has no data';
    return { status: 'invalid', where, problem: `has no key ${PLAN_CONFIGMAP_KEY} (${has})` };
  }
  return parsed(`${where} key ${PLAN_CONFIGMAP_KEY}`, text);
}

function parsed(where: string, text: string): PlanLookup {
  const result = parseReassignmentPlan(text);
  return result.ok
    ? { status: 'ok', where, plan: result.plan }
    : { status: 'invalid', where, problem: result.problem };
}

async function scaleDown(scaling: Scaling): Promise<RuleResult> {
  const { context, view, from, to } = scaling;
  const removed = range(to, from);
  const ids = list(removed);
  const { change, why } = scaling.leftBehind
    ? recreationText(scaling, ids)
    : {
        change: `scale-down ${from} → ${to}`,
        why:
          `Scaling ${subject(view)} from ${from} to ${to} deletes brokers ${ids} (the highest ` +
          `ordinals; the broker id is the ordinal). Every partition replica they hold goes with ` +
          `them: partitions drop below their replication factor, and those whose replicas all sat ` +
          `there go offline.`,
      };
  const answer = await context.askCluster(
    `listing the replicas on brokers ${ids}`,
    (probe, signal) => probe.replicasOnBrokers(context.cluster, removed, signal),
  );
  const text: ScaleDownText = {
    change,
    why,
    how: scaling.leftBehind ? recreationRemedy(scaling, ids) : scaleDownRemedy(context, to, answer),
  };
  if (answer.status === 'answered') return liveVerdict(scaling, removed, answer.value, text);
  if (answer.status === 'unavailable' && !answer.failOpen) {
    return fail(
      `${change}: cannot confirm that brokers ${ids} are empty`,
      `${why} The live check failed (${answer.reason}), and the policy fails closed ` +
        `(${answer.setting}: false). Retry when the cluster answers.`,
    );
  }
  const live = answer.status === 'unavailable' ? answer : undefined;
  return planVerdict(scaling, removed, await findPlan(context, view), text, live);
}

function scaleDownRemedy(
  context: RuleContext,
  to: number,
  answer: ClusterAnswer<HostedReplicas>,
): string {
  const generate =
    `generate a plan that moves every replica off the removed brokers: kafka-warden plan ` +
    `--bootstrap-server <broker>:9093 --tls-dir <client keystore dir> --brokers ${to} > plan.json`;
  const execute =
    `run it: kafka-reassign-partitions --bootstrap-server … --reassignment-json-file plan.json ` +
    `--execute, and wait until --verify reports every reassignment complete`;
  if (context.hasClusterProbe && answer.status === 'answered') {
    return `To proceed: (1) ${generate}; (2) ${execute}; (3) scale down again: kafka-warden checks the live cluster, no plan annotation is needed.`;
  }
  return (
    `To proceed: (1) ${generate}; (2) ${execute}; (3) put the plan in annotation ` +
    `${PLAN_ANNOTATION} or in key ${PLAN_CONFIGMAP_KEY} of a ConfigMap named by ` +
    `${PLAN_CONFIGMAP_ANNOTATION}, and scale down.`
  );
}

/** The live state decides: empty brokers may go, whatever the annotations say. */
function liveVerdict(
  { context, view }: Scaling,
  removed: number[],
  hosted: HostedReplicas,
  { change, why, how }: ScaleDownText,
): RuleResult {
  const ids = list(removed);
  const partitions = new Map<string, number[]>();
  for (const id of removed) {
    for (const name of hosted.get(id) ?? []) {
      const brokers = partitions.get(name) ?? [];
      brokers.push(id);
      partitions.set(name, brokers);
    }
  }
  if (partitions.size === 0) {
    const planNote =
      annotation(view, PLAN_ANNOTATION) ?? annotation(view, PLAN_CONFIGMAP_ANNOTATION);
    return pass(
      `${change}: the cluster confirms brokers ${ids} host no replica`,
      `${change}: the cluster confirms brokers ${ids} host no replica` +
        (planNote === undefined ? '' : ' (the reassignment plan annotation was not needed)') +
        '.',
    );
  }
  const replicas = [...partitions.values()].reduce((sum, brokers) => sum + brokers.length, 0);
  const named = [...partitions.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([name, brokers]) => `${name} (broker${brokers.length > 1 ? 's' : ''} ${list(brokers)})`);
  const topics = new Set([...partitions.keys()].map(topicOf));
  return fail(
    `${change}: brokers ${ids} still host ${replicas} replica(s) of ${partitions.size} partition(s)`,
    `${why} The cluster reports ${replicas} replica(s) of ${partitions.size} partition(s) ` +
      `(topics ${namedList([...topics].sort(), context.parameters.maxPartitionsNamed, 'topic')}) ` +
      `still on brokers ${ids}: ${namedList(named, context.parameters.maxPartitionsNamed, 'partition')}. ` +
      `A reassignment has not finished, or was never run. ${how}`,
  );
}

/** `orders-12` → `orders` (topic names may contain dashes; the partition is the last part). */
function topicOf(name: string): string {
  return name.slice(0, name.lastIndexOf('-'));
}

/** Without a live answer, the plan is the evidence. */
function planVerdict(
  { from }: Scaling,
  removed: number[],
  lookup: PlanLookup,
  { change, why, how }: ScaleDownText,
  /** Set when a probe could not answer and the policy fails open. */
  live: { reason: string; setting: string } | undefined,
): RuleResult {
  const ids = list(removed);
  const to = from - removed.length;
  if (lookup.status === 'none') {
    const liveNote = live
      ? ` The live check failed (${live.reason}); without it a plan is required.`
      : '';
    return fail(
      `${change} removes brokers ${ids} without a reassignment plan`,
      `${why}${liveNote} ${how}`,
    );
  }
  if (lookup.status === 'invalid') {
    return fail(
      `${change}: the reassignment plan in ${lookup.where} is not usable`,
      `${why} The plan in ${lookup.where} ${lookup.problem}. ${how}`,
    );
  }
  const { plan, where } = lookup;
  if (plan.partitions.length === 0) {
    return fail(
      `${change}: the reassignment plan lists no partitions`,
      `${why} The plan in ${where} moves nothing. ${how}`,
    );
  }
  const stillThere = partitionsOn(plan, new Set(removed));
  if (stillThere.length > 0) {
    return fail(
      `${change}: the plan leaves replicas on brokers ${ids}`,
      `${why} The plan in ${where} still places ${namedList(stillThere, 5, 'partition')} on ` +
        `brokers ${ids}. ${how}`,
    );
  }
  const unknown = [...brokersIn(plan)].filter((id) => id >= from).sort((a, b) => a - b);
  if (unknown.length > 0) {
    return fail(
      `${change}: the plan names brokers that do not exist (${list(unknown)})`,
      `${why} The plan in ${where} places replicas on brokers ${list(unknown)}, which this ` +
        `StatefulSet does not have (ids 0 to ${to - 1} remain). ${how}`,
    );
  }
  const planned = `${change}: the plan in ${where} moves ${plan.partitions.length} partition(s) off brokers ${ids}`;
  return live
    ? pass(
        planned,
        `${planned}; the live check failed (${live.reason}), allowed on the plan because ` +
          `${live.setting} is true.`,
      )
    : pass(
        planned,
        `${planned}. Scale down only after kafka-reassign-partitions --verify reports it complete.`,
      );
}

/**
 * A CREATE of brokers: a scale-down when the claims of an earlier StatefulSet of the same name
 * reach beyond the new replica count. Without a way to list claims there is nothing to compare
 * with, and a CREATE is what it says (a first install).
 */
function recreation(
  context: RuleContext<BrokerScalingParameters>,
): RuleResult[] | Promise<RuleResult[]> {
  const { current, listVolumeClaims } = context;
  if (!current || !listVolumeClaims) return [];
  const templates = claimTemplates(current.spec);
  if (templates.length === 0) {
    return [pass('no volumeClaimTemplates: no earlier broker volumes to look for')];
  }
  return listVolumeClaims().then(async (lookup) => {
    if (lookup.status === 'failed') {
      return [
        fail(
          `cannot tell whether ${subject(current)} had more brokers before: listing claims failed`,
          `${subject(current)} is created with ${current.replicas} broker(s). If an earlier ` +
            `StatefulSet of this name had more, creating it smaller removes brokers as a ` +
            `scale-down does; kafka-warden tells by the PersistentVolumeClaims those brokers left, ` +
            `and listing them failed (${lookup.reason}). Retry when the API server answers.`,
        ),
      ];
    }
    const claims = claimsByOrdinal(lookup.names, current.name, templates);
    const leftBehind = new Map([...claims].filter(([ordinal]) => ordinal >= current.replicas));
    const highest = Math.max(-1, ...leftBehind.keys());
    if (highest < 0) {
      return [pass(`no earlier broker volumes at ordinals ${current.replicas} or above`)];
    }
    const scaling: Scaling = {
      context,
      view: current,
      from: highest + 1,
      to: current.replicas,
      leftBehind,
    };
    return [await scaleDown(scaling)];
  });
}

function recreationText({ view, from, to, leftBehind }: Scaling, ids: string) {
  const claims = [...(leftBehind?.values() ?? [])].flat();
  return {
    change: `recreated with ${to} of ${from} brokers`,
    why:
      `${subject(view)} is created with ${to} replica(s), but PersistentVolumeClaims ` +
      `${namedList(claims, 5, 'claim')} (brokers ${ids}) remain from an earlier StatefulSet of ` +
      `this name: recreating it smaller is ` +
      `a scale-down ${from} → ${to}. Brokers ${ids} do not come back (and pods left running by a ` +
      `deletion with --cascade=orphan would be adopted and deleted), so every partition replica ` +
      `they hold is gone from the cluster: partitions drop below their replication factor, and ` +
      `those whose replicas all sat there go offline.`,
  };
}

/** The safe way is the ordinary one: bring every broker back, then scale down. */
function recreationRemedy({ view, from, to, leftBehind }: Scaling, ids: string): string {
  const claims = [...(leftBehind?.values() ?? [])].flat();
  return (
    `To proceed: create ${view.name} with ${from} replicas, as it had, and scale down afterwards ` +
    `like any scale-down (move every replica off brokers ${ids}: kafka-warden plan --brokers ` +
    `${to}, kafka-reassign-partitions --execute and --verify; then lower the count); or, if the ` +
    `replicas were already moved, put that plan in annotation ${PLAN_ANNOTATION} (or in a ` +
    `ConfigMap named by ${PLAN_CONFIGMAP_ANNOTATION}) of the new StatefulSet. If brokers ${ids} ` +
    `were emptied and removed long ago, their claims are stale: delete them (kubectl delete pvc ` +
    `${claims.join(' ')}), or a later scale-up would start brokers on the old data.`
  );
}

async function scaleUp(scaling: Scaling): Promise<RuleResult> {
  const { context, view, from, to } = scaling;
  const lookup = await findPlan(context, view);
  const added = range(from, to);
  const ids = list(added);
  const change = `scale-up ${from} → ${to}`;
  const planOnly = context.parameters.requirePlanForScaleUp;
  const why =
    `Scaling ${subject(view)} from ${from} to ${to} adds brokers ${ids}, which start empty: Kafka ` +
    `never moves existing partitions by itself, so they take no load (only new partitions land ` +
    `there) while the cluster looks bigger than it is.`;
  const generate =
    `kafka-warden plan --bootstrap-server <broker>:9093 --tls-dir <client keystore dir> ` +
    `--brokers ${to} > plan.json`;
  const how =
    `To proceed: generate a plan that spreads partitions onto brokers ${ids} (${generate}, ` +
    `once the new brokers are Ready; or kafka-reassign-partitions --generate with --broker-list ` +
    `${brokerList(range(0, to))}), put it in annotation ${PLAN_ANNOTATION} or in key ` +
    `${PLAN_CONFIGMAP_KEY} of a ConfigMap named by ${PLAN_CONFIGMAP_ANNOTATION}, and run it with ` +
    `kafka-reassign-partitions --execute once the new brokers are Ready` +
    (planOnly
      ? ' (this policy requires a plan).'
      : `; or, if the new brokers are meant for new topics only, annotate ` +
        `${SCALE_UP_ACK_ANNOTATION}: "<why>".`);
  if (lookup.status === 'invalid') {
    return fail(
      `${change}: the reassignment plan in ${lookup.where} is not usable`,
      `${why} The plan in ${lookup.where} ${lookup.problem}. ${how}`,
    );
  }
  if (lookup.status === 'ok') {
    const brokers = brokersIn(lookup.plan);
    const unknown = [...brokers].filter((id) => id >= to).sort((a, b) => a - b);
    if (unknown.length > 0) {
      return fail(
        `${change}: the plan names brokers that will not exist (${list(unknown)})`,
        `${why} The plan in ${lookup.where} places replicas on brokers ${list(unknown)}; after ` +
          `the change the ids are 0 to ${to - 1}. ${how}`,
      );
    }
    if (!added.some((id) => brokers.has(id))) {
      return fail(
        `${change}: the plan moves nothing onto the new brokers ${ids}`,
        `${why} The plan in ${lookup.where} places no replica on brokers ${ids}. ${how}`,
      );
    }
    return pass(
      `${change}: the plan in ${lookup.where} moves partitions onto brokers ${ids}`,
      `${change}: the plan in ${lookup.where} moves partitions onto brokers ${ids}; run it with ` +
        `--execute once they are Ready.`,
    );
  }
  const ack = annotation(view, SCALE_UP_ACK_ANNOTATION);
  if (ack && !planOnly) return pass(`${change} acknowledged: ${ack}`);
  if (context.hasClusterProbe && !planOnly && ack !== '') {
    // A plan onto brokers that do not exist yet cannot be executed; with the live cluster in view
    // the plan is generated once they are Ready, so the change only needs saying.
    return warn(
      `${change}: brokers ${ids} stay empty until a reassignment (kafka-warden plan --brokers ${to})`,
      `${why} Once brokers ${ids} are Ready, move partitions onto them: ${generate}, then ` +
        `kafka-reassign-partitions --bootstrap-server … --reassignment-json-file plan.json ` +
        `--execute, and --verify until complete.`,
    );
  }
  const ackNote =
    ack === ''
      ? ` Annotation ${SCALE_UP_ACK_ANNOTATION} is present but empty: it needs the reason as its value.`
      : ack && planOnly
        ? ` Annotation ${SCALE_UP_ACK_ANNOTATION} is not enough under this policy.`
        : '';
  return fail(
    `${change} adds empty brokers ${ids} without a plan or acknowledgement`,
    `${why}${ackNote} ${how}`,
  );
}

/** Not an inline `!isBrokerCount(count)`: TypeScript would infer `count is never` from the guard. */
function isOutsideBrokerCounts(count: number): boolean {
  return !isBrokerCount(count);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(to - from, 0) }, (_, i) => from + i);
}

function list(ids: readonly number[]): string {
  return ids.join(', ');
}

/** The form kafka-reassign-partitions --broker-list takes. */
function brokerList(ids: readonly number[]): string {
  return ids.join(',');
}
