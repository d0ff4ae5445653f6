/**
 * A change of the broker count needs a reassignment plan. Scale-down removes the highest ordinals
 * (in cp-helm-charts the broker id is the ordinal), and with them every partition replica they hold
 * unless those were moved first. Scale-up adds brokers that stay empty until partitions are moved
 * to them, so it needs a plan or an explicit acknowledgement.
 *
 * The plan proves intent, not execution: that the reassignment finished is what the
 * ClusterStateProbe checks, when one is configured.
 */
import { PLAN_CONFIGMAP_KEY } from '../plan-source';
import {
  brokersIn,
  parseReassignmentPlan,
  partitionsOn,
  type ReassignmentPlan,
} from '../reassignment-plan';
import { fail, pass, subject, type Rule, type RuleContext, type RuleResult } from '../rule';
import { annotation, type WorkloadView } from '../workload';

export const PLAN_ANNOTATION = 'kafka-warden.io/reassignment-plan';
export const PLAN_CONFIGMAP_ANNOTATION = 'kafka-warden.io/reassignment-plan-configmap';
export const SCALE_UP_ACK_ANNOTATION = 'kafka-warden.io/scale-up-acknowledged';

export interface BrokerScalingParameters {
  /** When true, a scale-up needs a plan; the acknowledgement annotation is not enough. */
  requirePlanForScaleUp: boolean;
}

/** One replica-count change and the plan found for it. */
interface Scaling {
  context: RuleContext<BrokerScalingParameters>;
  view: WorkloadView;
  from: number;
  to: number;
  lookup: PlanLookup;
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

export const brokerScaling: Rule<BrokerScalingParameters> = {
  id: 'broker-scaling',
  title: 'a broker count change needs a reassignment plan (or, to scale up, an acknowledgement)',
  defaultMode: 'enforce',
  defaultParameters: { requirePlanForScaleUp: false },
  roles: ['kafka'],
  operations: ['UPDATE'],
  async evaluate(context) {
    const { current, previous } = context;
    if (!current || !previous) return [];
    const from = previous.replicas;
    const to = current.replicas;
    if (from === to) return [pass(`broker count unchanged (${to})`)];
    const scaling: Scaling = {
      context,
      view: current,
      from,
      to,
      lookup: await findPlan(context, current),
    };
    return to < from ? [await scaleDown(scaling)] : [scaleUp(scaling)];
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

async function scaleDown({ context, view, from, to, lookup }: Scaling): Promise<RuleResult> {
  const removed = range(to, from);
  const ids = list(removed);
  const change = `scale-down ${from} → ${to}`;
  const how =
    `To proceed: (1) generate a plan that moves every replica off brokers ${ids} ` +
    `(kafka-reassign-partitions --bootstrap-server … --topics-to-move-json-file <all topics> ` +
    `--broker-list ${brokerList(range(0, to))} --generate); (2) run it with --execute and wait until --verify ` +
    `reports every reassignment complete; (3) put the plan in annotation ${PLAN_ANNOTATION} or ` +
    `in key ${PLAN_CONFIGMAP_KEY} of a ConfigMap named by ${PLAN_CONFIGMAP_ANNOTATION}, and scale down.`;
  const why =
    `Scaling ${subject(view)} from ${from} to ${to} deletes brokers ${ids} (the highest ordinals; ` +
    `the broker id is the ordinal). Every partition replica they hold goes with them: partitions ` +
    `drop below their replication factor, and those whose replicas all sat there go offline.`;
  if (lookup.status === 'none') {
    return fail(`${change} removes brokers ${ids} without a reassignment plan`, `${why} ${how}`);
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
      `${why} The plan in ${where} still places ${describePartitions(stillThere)} on brokers ` +
        `${ids}. ${how}`,
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
  return confirmEmpty(context, removed, planned, { change, why, how });
}

/** The live check: the plan says where replicas should go; the probe says where they are. */
async function confirmEmpty(
  context: RuleContext,
  removed: number[],
  planned: string,
  { change, why, how }: ScaleDownText,
): Promise<RuleResult> {
  const ids = list(removed);
  const answer = await context.askCluster(`counting replicas on brokers ${ids}`, (probe, signal) =>
    probe.replicasOnBrokers(context.cluster, removed, signal),
  );
  if (answer.status === 'no-probe') {
    return pass(
      planned,
      `${planned}. Scale down only after kafka-reassign-partitions --verify reports it complete.`,
    );
  }
  if (answer.status === 'unavailable') {
    const note = `the live check failed (${answer.reason})`;
    return answer.failOpen
      ? pass(planned, `${planned}; ${note}, allowed because clusterState.failOpen is true.`)
      : fail(
          `${change}: cannot confirm that brokers ${ids} are empty`,
          `${why} The plan is valid but ${note}, and the policy fails closed ` +
            `(clusterState.failOpen: false). Retry when the cluster answers.`,
        );
  }
  const hosted = removed.reduce((sum, id) => sum + (answer.value.get(id) ?? 0), 0);
  if (hosted === 0) return pass(planned, `${planned}; the cluster confirms they host no replica.`);
  return fail(
    `${change}: brokers ${ids} still host ${hosted} replica(s)`,
    `${why} The plan is valid, but the cluster reports ${hosted} replica(s) still on ` +
      `brokers ${ids}: the reassignment has not finished (or was never run). Run it with ` +
      `--execute and scale down once --verify reports it complete. ${how}`,
  );
}

function scaleUp({ context, view, from, to, lookup }: Scaling): RuleResult {
  const added = range(from, to);
  const ids = list(added);
  const change = `scale-up ${from} → ${to}`;
  const planOnly = context.parameters.requirePlanForScaleUp;
  const why =
    `Scaling ${subject(view)} from ${from} to ${to} adds brokers ${ids}, which start empty: Kafka ` +
    `never moves existing partitions by itself, so they take no load (only new partitions land ` +
    `there) while the cluster looks bigger than it is.`;
  const how =
    `To proceed: generate a plan that spreads partitions onto brokers ${ids} ` +
    `(kafka-reassign-partitions --bootstrap-server … --topics-to-move-json-file <topics> ` +
    `--broker-list ${brokerList(range(0, to))} --generate), put it in ` +
    `annotation ${PLAN_ANNOTATION} or in key ${PLAN_CONFIGMAP_KEY} of a ConfigMap named by ` +
    `${PLAN_CONFIGMAP_ANNOTATION}, and run it with --execute once the new brokers are Ready` +
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

function describePartitions(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more partition(s)` : shown;
}
