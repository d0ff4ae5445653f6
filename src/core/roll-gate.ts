/**
 * The Kafka-aware roll gate, pod side (docs/design.md, "The roll gate"): a broker pod carries a
 * readiness gate whose condition `serve --roll-gate` sets from the live cluster, so the pod counts
 * as Ready (for the StatefulSet controller's OrderedReady roll, the PodDisruptionBudget and the
 * Services) only when the broker has caught up; and a label by which the controller lists and
 * watches exactly the gated pods.
 *
 * Both are kafka-warden's by name (the condition type and label key are in its own domain), so they
 * are set or removed from the configuration alone, with no entry in the injection record: whatever
 * else a user put in `readinessGates` or the labels is left in place and in order.
 */
import type { ObjectMeta, PodSpec } from './k8s-types';
import { isRecord } from './k8s-types';

/** The pod condition kafka-warden's gate controller writes (pods/status). */
export const BROKER_IN_SYNC_CONDITION = 'kafka-warden.io/broker-in-sync';
/** On gated broker pods (and their template): the controller's label selector. */
export const ROLL_GATE_LABEL = 'kafka-warden.io/roll-gate';
export const ROLL_GATE_LABEL_VALUE = 'broker-in-sync';

/** Adds (enabled) or removes (not) the gate and its label; idempotent. */
export function setRollGate(meta: ObjectMeta, spec: PodSpec, enabled: boolean): void {
  // A field of another type is the user's (the API server refuses it anyway): never rewritten.
  const gates: unknown = spec.readinessGates;
  if (gates !== undefined && gates !== null && !Array.isArray(gates)) return;
  const list = (gates ?? []) as unknown[];
  const ours = (g: unknown) => isRecord(g) && g.conditionType === BROKER_IN_SYNC_CONDITION;
  const others = list.filter((g) => !ours(g));
  if (enabled) {
    spec.readinessGates = list.some(ours)
      ? list
      : [...others, { conditionType: BROKER_IN_SYNC_CONDITION }];
    (meta.labels ??= {})[ROLL_GATE_LABEL] = ROLL_GATE_LABEL_VALUE;
    return;
  }
  if (list.some(ours)) {
    if (others.length > 0) spec.readinessGates = others;
    else delete spec.readinessGates;
  }
  if (meta.labels?.[ROLL_GATE_LABEL] !== undefined) {
    delete meta.labels[ROLL_GATE_LABEL];
    if (Object.keys(meta.labels).length === 0) delete meta.labels;
  }
}
