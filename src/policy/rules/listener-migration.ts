/**
 * The listener brokers replicate over may change only in rolls where every broker, restarted or
 * not, has the listener each side replicates over. Kafka looks a leader's address up by the
 * follower's inter-broker listener name (ZooKeeper mode: the leader's registered advertised
 * listeners); a leader that does not advertise it cannot be fetched from, and the controller cannot
 * reach a broker that lacks the controller's listener. The StatefulSet controller restarts one
 * broker at a time, so during a roll the restarted brokers (new template) and the ones not yet
 * restarted (old template) replicate from each other until the last one restarts.
 *
 * Which brokers still lack a listener is read from the OLD object: every pod the StatefulSet runs
 * before the change (ordinals below its old `spec.replicas`) runs the old template until the roll
 * replaces it, and the new template is what every restarted or added broker runs. So the change is
 * safe when the old template advertises the new inter-broker listener (same name, same protocol)
 * and the new template still advertises the old one. Judged on every template change, whatever the
 * update strategy: a `rollingUpdate.partition` only stages the same mixed cluster for later, and an
 * OnDelete roll mixes them as pods are deleted.
 */
import {
  advertises,
  describeAdvertised,
  describeEndpoint,
  readBrokerListeners,
  type BrokerListeners,
} from '../broker-listeners';
import { fail, pass, skip, subject, warn, type Rule, type RuleResult } from '../rule';
import type { WorkloadView } from '../workload';
import { migrationSteps } from './listener-migration-steps';

export const listenerMigration: Rule = {
  id: 'listener-migration',
  title:
    'the inter-broker listener changes only in rolls where every broker has the listener each side replicates over',
  defaultMode: 'enforce',
  defaultParameters: {},
  roles: ['kafka'],
  operations: ['UPDATE'],
  evaluate({ current, previous }) {
    if (!current || !previous) return [];
    return [judge(previous, current)];
  },
};

function judge(previous: WorkloadView, current: WorkloadView): RuleResult {
  if (previous.replicas === 0) {
    return pass('no broker runs the old template: nobody replicates across the change');
  }
  if (previous.replicas <= 1 && current.replicas <= 1) {
    return pass('a single broker: no broker replicates from another during the roll');
  }
  const before = readBrokerListeners(previous.container);
  const after = readBrokerListeners(current.container);
  if (!before.known || !after.known) {
    const reason = before.known ? after : before;
    return unreadable(previous, current, reason.known ? '' : reason.reason);
  }
  const from = before.listeners.interBroker;
  const to = after.listeners.interBroker;
  const toOnOld = advertises(before.listeners, to);
  const fromOnNew = advertises(after.listeners, from);
  if (toOnOld && fromOnNew) {
    return pass(
      from.name === to.name && from.protocol === to.protocol
        ? `brokers keep replicating over ${describeEndpoint(to)}`
        : `inter-broker traffic moves from ${from.name} to ${to.name}, which every broker has before and after`,
    );
  }
  return fail(
    summary(from, to, toOnOld, fromOnNew),
    message(current, before.listeners, after.listeners, toOnOld, fromOnNew),
  );
}

function summary(
  from: BrokerListeners['interBroker'],
  to: BrokerListeners['interBroker'],
  toOnOld: boolean,
  fromOnNew: boolean,
): string {
  if (from.name === to.name) {
    return `one roll changes inter-broker listener ${from.name} from ${from.protocol ?? '?'} to ${to.protocol ?? '?'}`;
  }
  if (!toOnOld && fromOnNew) {
    return `one roll adds listener ${to.name} and replicates over it; brokers not yet restarted lack it`;
  }
  if (toOnOld && !fromOnNew) {
    return `one roll removes ${from.name}, which brokers not yet restarted replicate over`;
  }
  return `one roll moves inter-broker traffic ${from.name} → ${to.name}; old and new brokers lack each other's`;
}

function message(
  current: WorkloadView,
  before: BrokerListeners,
  after: BrokerListeners,
  toOnOld: boolean,
  fromOnNew: boolean,
): string {
  const from = before.interBroker;
  const to = after.interBroker;
  const breaks: string[] = [];
  if (!toOnOld) {
    breaks.push(
      `restarted brokers replicate over ${describeEndpoint(to)}, which the brokers not yet ` +
        `restarted do not advertise (they advertise ${describeAdvertised(before)}), so they ` +
        `cannot fetch from the leaders there`,
    );
  }
  if (!fromOnNew) {
    breaks.push(
      `the brokers not yet restarted replicate over ${describeEndpoint(from)}, which restarted ` +
        `brokers no longer advertise (they advertise ${describeAdvertised(after)}), so they cannot ` +
        `fetch from the leaders on restarted brokers`,
    );
  }
  return (
    `${subject(current)} changes the listener brokers replicate over from ` +
    `${describeEndpoint(from)} to ${describeEndpoint(to)} in one roll. The StatefulSet controller ` +
    `restarts one broker at a time, and until the last one restarts, ${breaks.join('; and ')}. Kafka finds a leader by the follower's inter-broker ` +
    `listener name: partitions fall out of sync from the first restart on, and with replication ` +
    `factor 3 and min.insync.replicas 2, acks=all producers fail before the roll ends. To proceed, ` +
    `in separate rolls, each after every partition is back in sync (kafka-topics --describe ` +
    `--under-replicated-partitions lists none): ${migrationSteps({ from, to, toOnOld, fromOnNew }).join('; ')}.`
  );
}

/** Settings kafka-warden cannot read: judged only if they changed, and then never denied. */
function unreadable(previous: WorkloadView, current: WorkloadView, reason: string): RuleResult {
  if (listenerInputs(previous) === listenerInputs(current)) {
    return skip(`cannot read the listeners (${reason}); they are unchanged`);
  }
  return warn(
    'cannot read the listeners: check that the inter-broker listener changes in separate rolls',
    `${subject(current)}: kafka-warden cannot read the broker listeners (${reason}), and this ` +
      `change touches them. If it adds, removes or renames the listener brokers replicate over ` +
      `(inter.broker.listener.name), or changes its protocol, make it in separate rolls: first ` +
      `every broker gains the new listener while replicating over the old one, then inter-broker ` +
      `traffic switches, and only then may the old listener go.`,
  );
}

const LISTENER_ENV = new Set([
  'KAFKA_ADVERTISED_LISTENERS',
  'KAFKA_LISTENERS',
  'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP',
  'KAFKA_INTER_BROKER_LISTENER_NAME',
  'KAFKA_SECURITY_INTER_BROKER_PROTOCOL',
]);

/** What the listeners are read from, as one comparable text. */
function listenerInputs(view: WorkloadView): string {
  const { container } = view;
  const env = (container.env ?? []).filter((e) => LISTENER_ENV.has(e.name));
  return JSON.stringify([container.command ?? null, container.args ?? null, env]);
}
