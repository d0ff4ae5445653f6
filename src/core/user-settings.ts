/**
 * The user's own broker settings meet kafka-warden's. cp-helm-charts turns
 * `cp-kafka.configurationOverrides` into KAFKA_* env and adds `customEnv` as it is, so a chart's
 * values can already set what kafka-warden sets. Each such setting is honoured where it agrees, or
 * refused with both values and the configuration key that decides (KW_BROKER_SETTING): never a
 * broker Kafka refuses to start, never a setting silently replaced. Pure: values in, a verdict out.
 */
import type { WardenConfig } from './config';
import { WardenError } from './errors';
import { keepsSslListener, type ListenerPlan } from './listeners';

/** The chart's own listener map (cp-kafka values.yaml): the chart's, not the user's. */
export const CHART_PROTOCOL_MAP = 'PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT';
/** Listener names the chart's start script advertises; kafka-warden replaces both. */
const CHART_LISTENERS = new Set(['PLAINTEXT', 'EXTERNAL']);
/**
 * kafka-warden's own in-cluster listeners, in the form it writes them: a script it wrote whose
 * record (the status annotation) was lost shows them, and they are its to replace.
 */
const OWN_LISTENER = /^(SSL|SASL_SSL):\/\/\$\{POD_NAME\}\.[^.]+\.\$\{POD_NAMESPACE\}:\d+$/;
const OWN_EXTERNAL = new Set(['EXTERNAL_SSL']);
/**
 * Listener names only kafka-warden defines (the chart has PLAINTEXT and EXTERNAL, and listeners of
 * the user's own are refused above): where one appears in a setting, kafka-warden wrote it.
 */
const OWN_NAMES = new Set(['SSL', 'SASL_SSL', 'EXTERNAL_SSL']);

function replaceable(entry: string): boolean {
  const name = /^([A-Za-z0-9_]+):\/\//.exec(entry)?.[1] ?? '';
  return CHART_LISTENERS.has(name) || OWN_EXTERNAL.has(name) || OWN_LISTENER.test(entry);
}
// The value runs to the `&&` that ends the line (the chart's own value holds spaces: `$((31090 + …))`).
const ADVERTISED_EXPORT = /export KAFKA_ADVERTISED_LISTENERS=(.*?)\s*(?:&&.*)?$/m;
const JMX_PORT_OPTION = /-Dcom\.sun\.management\.jmxremote\.port=(\S+)/;

export interface UserSettings {
  where: string;
  /** An env var's value before kafka-warden set it (the chart's, i.e. the user's values). */
  env: (name: string) => string | undefined;
  /** The broker's start command before kafka-warden rewrote it. */
  command: string[] | undefined;
  /** The JMX port the broker will use (the chart's KAFKA_JMX_PORT, else metrics.jmxPort); null without one. */
  jmxPort: number | null;
  /** Brokers in the cluster, for the NodePort range (1 for a pod: its ordinal is unknown here). */
  replicas: number;
}

/** How a chart's values name a broker env var. */
function valuesKey(env: string): string {
  const property = env
    .replace(/^KAFKA_/, '')
    .toLowerCase()
    .replaceAll('_', '.');
  return `cp-kafka.configurationOverrides "${property}" (env ${env})`;
}

function refuse(where: string, text: string): never {
  throw new WardenError('KW_BROKER_SETTING', `${where}: ${text}`);
}

/**
 * Checks the user's settings against the plan and returns the protocol map entries to keep beside
 * kafka-warden's (the user's own entries for listeners kafka-warden does not define).
 */
export function reconcileUserSettings(
  user: UserSettings,
  plan: ListenerPlan,
  config: WardenConfig,
): string[] {
  const { where } = user;
  checkAdvertised(user, plan);
  checkListeners(user, plan);
  const inter = user.env('KAFKA_INTER_BROKER_LISTENER_NAME');
  if (inter !== undefined && inter !== plan.interBrokerListener && !OWN_NAMES.has(inter)) {
    refuse(
      where,
      `${valuesKey('KAFKA_INTER_BROKER_LISTENER_NAME')} is ${inter}, kafka-warden's is ${plan.interBrokerListener}, decided by tls.interBrokerListener (${config.tls.interBrokerListener}) and tls.keepPlaintext (${config.tls.keepPlaintext}); remove the override or set tls.interBrokerListener to match`,
    );
  }
  const protocol = user.env('KAFKA_SECURITY_INTER_BROKER_PROTOCOL');
  if (protocol !== undefined) {
    // Kafka refuses to start with both inter.broker.listener.name and security.inter.broker.protocol.
    refuse(
      where,
      `${valuesKey('KAFKA_SECURITY_INTER_BROKER_PROTOCOL')} is ${protocol}, but kafka-warden sets inter.broker.listener.name ${plan.interBrokerListener} (tls.interBrokerListener) and Kafka refuses both; remove the override`,
    );
  }
  const extras = checkProtocolMap(user, plan);
  checkPorts(user, plan, config);
  return extras;
}

function checkAdvertised(user: UserSettings, plan: ListenerPlan): void {
  const script = user.command?.join('\n') ?? '';
  const value = ADVERTISED_EXPORT.exec(script)?.[1];
  if (value === undefined) return;
  const own = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !replaceable(entry))
    .map((entry) => /^([A-Za-z0-9_]+):\/\//.exec(entry)?.[1] ?? entry);
  if (own.length === 0) return;
  refuse(
    user.where,
    `the start script advertises listener(s) ${own.join(', ')} (${value}, from cp-kafka.configurationOverrides "advertised.listeners"), which kafka-warden would replace with ${plan.listeners.map((l) => l.advertised).join(',')} (tls.*, listeners.*); remove "advertised.listeners" from the overrides and configure the listeners with listeners.external`,
  );
}

function checkListeners(user: UserSettings, plan: ListenerPlan): void {
  const value = user.env('KAFKA_LISTENERS');
  if (value === undefined) return;
  const theirs = new Map(
    value.split(',').flatMap((entry) => {
      const m = /^\s*([A-Za-z0-9_]+):\/\/[^:]*:(\d+)\s*$/.exec(entry);
      return m?.[1] && m[2] ? [[m[1], Number(m[2])] as const] : [];
    }),
  );
  const ours = plan.listeners.filter((l) => l.containerPort !== null);
  const agrees =
    theirs.size === plan.listeners.length &&
    ours.every((l) => theirs.get(l.name) === l.containerPort) &&
    plan.listeners.every((l) => theirs.has(l.name));
  if (agrees) return;
  const wanted = ours.map((l) => `${l.name}://:${l.containerPort}`).join(',');
  refuse(
    user.where,
    `${valuesKey('KAFKA_LISTENERS')} is ${value}, but kafka-warden's listeners are ${wanted}${plan.external && plan.external.containerPort === null ? ` and ${plan.external.name} on the broker's NodePort` : ''} (tls.port, listeners.plaintextPort, listeners.external); remove the override: the image derives the listeners from the advertised ones`,
  );
}

function checkProtocolMap(user: UserSettings, plan: ListenerPlan): string[] {
  const value = user.env('KAFKA_LISTENER_SECURITY_PROTOCOL_MAP');
  if (value === undefined || value.replace(/\s/g, '') === CHART_PROTOCOL_MAP) return [];
  const extras: string[] = [];
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [name, protocol] = entry.split(':').map((p) => p.trim());
    const ours = plan.listeners.find((l) => l.name === name);
    if (!ours) {
      if (name && !OWN_NAMES.has(name)) extras.push(`${name}:${protocol}`);
    } else if (ours.protocol !== protocol) {
      refuse(
        user.where,
        `${valuesKey('KAFKA_LISTENER_SECURITY_PROTOCOL_MAP')} maps ${name} to ${protocol}, kafka-warden maps it to ${ours.protocol} (tls.enabled, sasl.enabled, listeners.external.mode); remove that entry from the override`,
      );
    }
  }
  return extras;
}

/** No two listeners, nor the JMX or metrics port, may share a port in the broker pod. */
function checkPorts(user: UserSettings, plan: ListenerPlan, config: WardenConfig): void {
  const used: { port: number; what: string }[] = [];
  for (const l of plan.listeners) {
    if (l.containerPort !== null) {
      const key =
        l.name === 'PLAINTEXT'
          ? 'listeners.plaintextPort'
          : l === plan.external
            ? 'listeners.external.port'
            : l.name === 'SSL' && keepsSslListener(config)
              ? 'sasl.sslListenerPort'
              : 'tls.port';
      used.push({ port: l.containerPort, what: `listener ${l.name} (${key})` });
    }
  }
  if (plan.firstNodePort !== null) {
    for (let id = 0; id < Math.max(user.replicas, 1); id++) {
      used.push({
        port: plan.firstNodePort + id,
        what: `broker ${id}'s NodePort listener (listeners.external.firstListenerPort, or the chart's cp-kafka.nodeport.firstListenerPort)`,
      });
    }
  }
  if (user.jmxPort !== null) {
    const chart = user.env('KAFKA_JMX_PORT') !== undefined;
    used.push({
      port: user.jmxPort,
      what: `the JMX port (${chart ? "the chart's cp-kafka.jmx.port, env KAFKA_JMX_PORT" : 'metrics.jmxPort'})`,
    });
  }
  if (config.metrics.enabled) {
    used.push({ port: config.metrics.port, what: 'the metrics exporter (metrics.port)' });
  }
  for (const [i, a] of used.entries()) {
    const b = used.slice(i + 1).find((u) => u.port === a.port);
    if (b)
      refuse(user.where, `${a.what} and ${b.what} both use port ${a.port}; change one of them`);
  }
  for (const env of ['KAFKA_JMX_OPTS', 'KAFKA_OPTS']) {
    const option = JMX_PORT_OPTION.exec(user.env(env) ?? '')?.[1];
    if (option !== undefined && user.jmxPort !== null && Number(option) !== user.jmxPort) {
      refuse(
        user.where,
        `${env} sets -Dcom.sun.management.jmxremote.port=${option}, but the JMX port is ${user.jmxPort} (KAFKA_JMX_PORT: the chart's cp-kafka.jmx.port, else metrics.jmxPort), which the metrics exporter reads; remove the option or make the two agree`,
      );
    }
  }
}
