/**
 * The listeners a broker offers the other brokers, and the one it replicates over, read from its
 * container as the Confluent image will configure Kafka:
 *
 * - advertised listeners: the `export KAFKA_ADVERTISED_LISTENERS=…` of the start script (cp-kafka
 *   computes them there from the pod's ordinal, and so does kafka-warden's injection; the export
 *   runs after the env is set, so it wins), else env KAFKA_ADVERTISED_LISTENERS, else env
 *   KAFKA_LISTENERS (Kafka's advertised.listeners defaults to listeners). These are what a broker
 *   registers in ZooKeeper and what the others look its address up in;
 * - listener.security.protocol.map (env), else Kafka's default map (each security protocol is a
 *   listener name of its own);
 * - inter.broker.listener.name (env), else security.inter.broker.protocol (its listener name is the
 *   protocol's), else PLAINTEXT, Kafka's default.
 *
 * Listener names are compared upper-cased, as Kafka normalises them. Values only: a value from
 * valueFrom, or a script that sets the advertised listeners in a way this does not read, makes the
 * listeners unknown, never guessed.
 */
import type { Container } from '../core/k8s-types';
import { readSetting } from './broker-settings';

export interface Endpoint {
  name: string;
  /** The security protocol the map gives the name; undefined when the map has no entry (Kafka then refuses to start). */
  protocol: string | undefined;
}

export interface BrokerListeners {
  /** Advertised listener names → security protocol, in the order advertised. */
  advertised: ReadonlyMap<string, string | undefined>;
  interBroker: Endpoint;
}

export type ListenerReading =
  { known: true; listeners: BrokerListeners } | { known: false; reason: string };

const KAFKA_DEFAULT_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
/** Longer start scripts are not read (the export regex is linear per match, but bounded anyway). */
const MAX_SCRIPT_LENGTH = 100_000;
/** A broker has a handful of listeners; more entries than this is not a listener list. */
const MAX_LISTENERS = 64;
/** Kafka listener names: letters, digits, underscores (bounded so no input makes the match slow). */
const LISTENER_ENTRY = /^([A-Za-z0-9_]{1,249}):\/\//;
/**
 * The start script's export. The value runs to the end of its command: `&&`, `||`, `;`, a line
 * break or a line continuation (the chart's value holds spaces: `$((31090 + ${KAFKA_BROKER_ID}))`).
 */
const ADVERTISED_EXPORT =
  /(?:^|[\s;&|(])export\s+KAFKA_ADVERTISED_LISTENERS=(.*?)\s*(?:&&|\|\||;|\\\n|\n|$)/g;

export function readBrokerListeners(container: Container): ListenerReading {
  const advertisedText = advertisedListenersText(container);
  if (!advertisedText.known) return advertisedText;
  const names = listenerNames(advertisedText.value);
  if (!names.known) return names;
  const map = protocolMap(container);
  if (!map.known) return map;
  const inter = interBrokerListenerName(container);
  if (!inter.known) return inter;
  const advertised = new Map<string, string | undefined>();
  for (const name of names.value) advertised.set(name, map.value.get(name));
  return {
    known: true,
    listeners: {
      advertised,
      interBroker: { name: inter.value, protocol: map.value.get(inter.value) },
    },
  };
}

/** `SSL`, `INTERNAL (SASL_SSL)`: the form messages use. */
export function describeEndpoint(endpoint: Endpoint): string {
  // kafka-warden's and the chart's listeners are named after their protocol: say it once.
  if (endpoint.name === endpoint.protocol) return endpoint.name;
  return `${endpoint.name} (${endpoint.protocol ?? 'no protocol mapped'})`;
}

export function describeAdvertised(listeners: BrokerListeners): string {
  const parts = [...listeners.advertised].map(([name, protocol]) =>
    describeEndpoint({ name, protocol }),
  );
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** The listener with this name and protocol is among those advertised. */
export function advertises(listeners: BrokerListeners, endpoint: Endpoint): boolean {
  return (
    listeners.advertised.has(endpoint.name) &&
    listeners.advertised.get(endpoint.name) === endpoint.protocol
  );
}

type Read<T> = { known: true; value: T } | { known: false; reason: string };

function advertisedListenersText(container: Container): Read<string> {
  const script = [...(container.command ?? []), ...(container.args ?? [])].join('\n');
  if (script.length > MAX_SCRIPT_LENGTH) {
    return {
      known: false,
      reason: `the start script is longer than ${MAX_SCRIPT_LENGTH} characters`,
    };
  }
  let exported: string | undefined;
  for (const match of script.matchAll(ADVERTISED_EXPORT)) exported = match[1];
  if (exported !== undefined) return { known: true, value: unquote(exported.trim()) };
  if (script.includes('KAFKA_ADVERTISED_LISTENERS')) {
    return {
      known: false,
      reason:
        'the start script sets KAFKA_ADVERTISED_LISTENERS in a form kafka-warden does not read',
    };
  }
  for (const property of ['advertised.listeners', 'listeners']) {
    const setting = readSetting(container, property);
    if (setting.state === 'indirect') {
      return { known: false, reason: `${property} comes from valueFrom` };
    }
    if (setting.state === 'literal') return { known: true, value: setting.value };
  }
  return { known: false, reason: 'neither the start script nor the env sets the listeners' };
}

function unquote(value: string): string {
  const quoted = /^(['"])(.*)\1$/s.exec(value);
  return quoted ? (quoted[2] ?? '') : value;
}

function listenerNames(text: string): Read<string[]> {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length > MAX_LISTENERS) {
    return { known: false, reason: `more than ${MAX_LISTENERS} advertised listeners` };
  }
  const names: string[] = [];
  for (const entry of entries) {
    const name = LISTENER_ENTRY.exec(entry)?.[1];
    if (name === undefined) {
      return {
        known: false,
        reason: `the advertised listener "${entry.slice(0, 80)}" is not NAME://host:port`,
      };
    }
    names.push(name.toUpperCase());
  }
  return { known: true, value: names };
}

function protocolMap(container: Container): Read<Map<string, string>> {
  const setting = readSetting(container, 'listener.security.protocol.map');
  if (setting.state === 'indirect') {
    return { known: false, reason: 'listener.security.protocol.map comes from valueFrom' };
  }
  const map = new Map<string, string>();
  if (setting.state === 'absent') {
    for (const protocol of KAFKA_DEFAULT_PROTOCOLS) map.set(protocol, protocol);
    return { known: true, value: map };
  }
  const entries = setting.value.split(',').filter((e) => e.trim() !== '');
  if (entries.length > MAX_LISTENERS) {
    return { known: false, reason: `more than ${MAX_LISTENERS} protocol map entries` };
  }
  for (const entry of entries) {
    const [name, protocol] = entry.split(':').map((p) => p.trim().toUpperCase());
    if (name && protocol) map.set(name, protocol);
  }
  return { known: true, value: map };
}

function interBrokerListenerName(container: Container): Read<string> {
  const byName = readSetting(container, 'inter.broker.listener.name');
  if (byName.state === 'indirect') {
    return { known: false, reason: 'inter.broker.listener.name comes from valueFrom' };
  }
  if (byName.state === 'literal' && byName.value !== '') {
    return { known: true, value: byName.value.toUpperCase() };
  }
  const byProtocol = readSetting(container, 'security.inter.broker.protocol');
  if (byProtocol.state === 'indirect') {
    return { known: false, reason: 'security.inter.broker.protocol comes from valueFrom' };
  }
  if (byProtocol.state === 'literal' && byProtocol.value !== '') {
    return { known: true, value: byProtocol.value.toUpperCase() };
  }
  return { known: true, value: 'PLAINTEXT' };
}
