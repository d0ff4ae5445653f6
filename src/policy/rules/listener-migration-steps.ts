/**
 * The rolls a listener migration takes, in words a user can act on: Kafka's terms always, and
 * kafka-warden's configuration settings where the listeners are kafka-warden's own (PLAINTEXT, SSL,
 * SASL_SSL), so that every step is something `kafka-warden render` (or the mutating webhook with
 * that configuration) produces.
 *
 * A follower finds its leader by the follower's inter-broker listener name, so while old and new
 * brokers run side by side the listener each side replicates over must be advertised by both:
 * (1) every broker gains the new listener while replicating over the old one; (2) inter-broker
 * traffic switches, both listeners still on every broker; (3) only then may the old one go.
 * A change that already satisfies a step skips it.
 */
import { describeSetting } from '../broker-settings';
import { describeEndpoint, type Endpoint } from '../broker-listeners';

export interface MigrationShape {
  from: Endpoint;
  to: Endpoint;
  /** The brokers not yet restarted advertise the listener the restarted ones replicate over. */
  toOnOld: boolean;
  /** The restarted brokers still advertise the listener the others replicate over. */
  fromOnNew: boolean;
}

const IBL = 'inter.broker.listener.name';

/** The rolls to make instead of this one, numbered, ending with this change as it is. */
export function migrationSteps(shape: MigrationShape): string[] {
  const { from, to } = shape;
  if (from.name === to.name) return protocolChangeSteps(from, to);
  const hints = KAFKA_WARDEN_HINTS[`${from.name}>${to.name}`];
  const steps: string[] = [];
  if (!shape.toOnOld) {
    steps.push(
      `add ${describeEndpoint(to)} to every broker and keep replicating over ${from.name} ` +
        `(${describeSetting(IBL)} ${from.name})` +
        (hints ? `; in kafka-warden's configuration: ${hints.add}` : ''),
    );
  }
  if (!shape.fromOnNew) {
    steps.push(
      `switch inter-broker traffic to ${to.name} (${IBL} ${to.name}) with ${from.name} still on ` +
        `every broker` +
        (hints ? `; in kafka-warden's configuration: ${hints.switch}` : ''),
    );
  }
  steps.push(
    shape.fromOnNew
      ? `this change as it is: it switches inter-broker traffic to ${to.name}, which every broker then has`
      : `this change as it is: it removes ${from.name}, over which no broker replicates any more`,
  );
  return steps.map((step, i) => `(${i + 1}) ${step}`);
}

/** One name cannot carry two protocols at once: the traffic moves to a second name and back. */
function protocolChangeSteps(from: Endpoint, to: Endpoint): string[] {
  return [
    `(1) add a listener of protocol ${to.protocol ?? '?'} under another name to every broker ` +
      `(advertised.listeners and listener.security.protocol.map), keep replicating over ${from.name}`,
    `(2) switch ${IBL} to that listener`,
    `(3) change ${from.name} to ${to.protocol ?? '?'}; if it is to carry inter-broker traffic again, switch back in a roll of its own`,
  ];
}

interface Hints {
  /** The configuration of step (1): both listeners, replicating over the old one. */
  add: string;
  /** The configuration of step (2): both listeners, replicating over the new one. */
  switch: string;
}

/** By `<old listener>><new listener>`: kafka-warden's listener names are their protocols. */
const KAFKA_WARDEN_HINTS: Readonly<Record<string, Hints>> = {
  'PLAINTEXT>SSL': {
    add: 'this change with tls.keepPlaintext: true and tls.interBrokerListener: PLAINTEXT',
    switch: 'tls.keepPlaintext: true and tls.interBrokerListener: SSL (the default)',
  },
  'PLAINTEXT>SASL_SSL': {
    add: 'this change with tls.keepPlaintext: true and tls.interBrokerListener: PLAINTEXT',
    switch:
      'sasl.enabled: true, tls.keepPlaintext: true and tls.interBrokerListener: SSL (the default: the SASL_SSL listener)',
  },
  'SSL>SASL_SSL': {
    add: 'this change with sasl.keepSslListener: true (tls.interBrokerListener: SSL, the default, then names the kept SSL listener)',
    switch: 'sasl.enabled: true, sasl.keepSslListener: true and tls.interBrokerListener: SASL_SSL',
  },
  'SASL_SSL>SSL': {
    add: 'the configuration deployed now (sasl.enabled: true) with sasl.keepSslListener: true and tls.interBrokerListener: SASL_SSL',
    switch: 'sasl.enabled: true, sasl.keepSslListener: true and tls.interBrokerListener: SSL',
  },
  'SSL>PLAINTEXT': {
    add: 'the configuration deployed now with tls.keepPlaintext: true',
    switch: 'tls.enabled: true, tls.keepPlaintext: true and tls.interBrokerListener: PLAINTEXT',
  },
  'SASL_SSL>PLAINTEXT': {
    add: 'the configuration deployed now with tls.keepPlaintext: true',
    switch:
      'tls.enabled: true, sasl.enabled: true, tls.keepPlaintext: true and tls.interBrokerListener: PLAINTEXT',
  },
};
