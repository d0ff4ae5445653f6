/**
 * Kafka listeners per broker, as the Confluent images expect them: KAFKA_ADVERTISED_LISTENERS is
 * exported by the start script (it needs the pod's ordinal), KAFKA_LISTENERS is derived from it by
 * the image, and the TLS checks of the image run only for listener NAMES containing "SSL://"
 * (../shared/DOMAIN.md §2), so every TLS listener is named with SSL.
 *
 * With SASL the in-cluster TLS listener is named `SASL_SSL`. The image's `configure` runs its TLS
 * checks when the advertised listeners contain `SSL://` and its SASL checks (KAFKA_OPTS must name a
 * JAAS file) when they match `SASL_.*://`; `SASL_SSL://…` satisfies both, so the keystores are
 * still checked and loaded from the credential files.
 */
import { usesSasl, type WardenConfig } from './config';
import { WardenError } from './errors';

export interface BrokerContext {
  /** The broker StatefulSet's name: the Kafka cluster's identity for Secrets and budgets. */
  cluster: string;
  /** The governing headless service; pod DNS names are `<pod>.<headless>.<namespace>`. */
  headlessService: string;
  replicas: number;
  /** The chart's nodeport.firstListenerPort, read from the rendered container ports when present. */
  chartFirstListenerPort: number | null;
}

export interface Listener {
  name: string;
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_SSL';
  /** Shell expression, evaluated by the broker's `sh` start command. */
  advertised: string;
  /** The port the container listens on, when it is the same for every broker. */
  containerPort: number | null;
}

export interface ListenerPlan {
  listeners: Listener[];
  interBrokerListener: string;
  /** The in-cluster port the readiness probe and clients use. */
  internalPort: number;
  external: Listener | null;
  firstNodePort: number | null;
}

export const DEFAULT_FIRST_LISTENER_PORT = 31090;

/** The in-cluster TLS listener: its name is also its protocol (and what clients' bootstrap URLs name). */
export function tlsListenerName(config: WardenConfig): 'SSL' | 'SASL_SSL' {
  return usesSasl(config) ? 'SASL_SSL' : 'SSL';
}

export function planListeners(ctx: BrokerContext, config: WardenConfig): ListenerPlan {
  const { tls } = config;
  const podHost = `\${POD_NAME}.${ctx.headlessService}.\${POD_NAMESPACE}`;
  const listeners: Listener[] = [];
  if (!tls.enabled || tls.keepPlaintext) {
    const port = config.listeners.plaintextPort;
    listeners.push({
      name: 'PLAINTEXT',
      protocol: 'PLAINTEXT',
      advertised: `PLAINTEXT://${podHost}:${port}`,
      containerPort: port,
    });
  }
  const tlsName = tlsListenerName(config);
  if (tls.enabled) {
    listeners.push({
      name: tlsName,
      protocol: tlsName,
      advertised: `${tlsName}://${podHost}:${tls.port}`,
      containerPort: tls.port,
    });
  }
  const keptSsl = keepsSslListener(config);
  if (keptSsl) {
    const port = config.sasl.sslListenerPort;
    listeners.push({
      name: 'SSL',
      protocol: 'SSL',
      advertised: `SSL://${podHost}:${port}`,
      containerPort: port,
    });
  }
  const { external: externalPlan, firstNodePort } = planExternal(ctx, config);
  if (externalPlan) listeners.push(externalPlan);

  const interBrokerListener = chooseInterBrokerListener(config, tlsName, keptSsl);
  const internal = listeners.find((l) => l.name === interBrokerListener) ?? listeners[0];
  return {
    listeners,
    interBrokerListener,
    internalPort: internal?.containerPort ?? config.listeners.plaintextPort,
    external: externalPlan,
    firstNodePort,
  };
}

/** With SASL, a plain `SSL` listener beside SASL_SSL, for the rolls that migrate between the two. */
export function keepsSslListener(config: WardenConfig): boolean {
  return usesSasl(config) && config.sasl.keepSslListener;
}

function chooseInterBrokerListener(
  config: WardenConfig,
  tlsName: 'SSL' | 'SASL_SSL',
  keptSsl: boolean,
): string {
  const { tls } = config;
  if (!tls.enabled) return 'PLAINTEXT';
  switch (tls.interBrokerListener) {
    case 'PLAINTEXT':
      // Without the PLAINTEXT listener there is nothing to replicate over but TLS.
      return tls.keepPlaintext ? 'PLAINTEXT' : tlsName;
    case 'SASL_SSL':
      if (!usesSasl(config)) {
        // parseConfig refuses this too; here for configurations built in code.
        throw new WardenError(
          'KW_CONFIG_INVALID',
          'tls.interBrokerListener SASL_SSL needs sasl.enabled (there is no SASL_SSL listener without it)',
        );
      }
      return 'SASL_SSL';
    case 'SSL':
      return keptSsl ? 'SSL' : tlsName;
  }
}

function planExternal(
  ctx: BrokerContext,
  config: WardenConfig,
): { external: Listener | null; firstNodePort: number | null } {
  const external = config.listeners.external;
  const name = config.tls.enabled ? 'EXTERNAL_SSL' : 'EXTERNAL';
  const protocol = config.tls.enabled ? 'SSL' : 'PLAINTEXT';
  switch (external.mode) {
    case 'none':
      return { external: null, firstNodePort: null };
    case 'nodeport': {
      const configured = external.firstListenerPort;
      const chart = ctx.chartFirstListenerPort;
      if (configured !== null && chart !== null && configured !== chart) {
        // Here rather than where the Services are built: the webhook, which sees only the pod,
        // must refuse the same configurations the post-renderer does.
        throw new WardenError(
          'KW_EXTERNAL_PORT_CONFLICT',
          `StatefulSet ${ctx.cluster}: listeners.external.firstListenerPort ${configured} disagrees with the chart's nodeport.firstListenerPort ${chart} (its NodePort Services use ${chart}); remove one of the two settings`,
        );
      }
      const first = configured ?? chart ?? DEFAULT_FIRST_LISTENER_PORT;
      const host = external.hostTemplate ? expandHost(external.hostTemplate) : '${HOST_IP}';
      return {
        external: {
          name,
          protocol,
          advertised: `${name}://${host}:$((${first} + \${KAFKA_BROKER_ID}))`,
          containerPort: null,
        },
        firstNodePort: first,
      };
    }
    case 'loadbalancer':
    case 'hostname': {
      if (!external.hostTemplate) {
        throw new WardenError(
          'KW_EXTERNAL_HOST',
          `listeners.external.mode ${external.mode} needs listeners.external.hostTemplate, e.g. "b{id}.kafka.example.com"`,
        );
      }
      return {
        external: {
          name,
          protocol,
          advertised: `${name}://${expandHost(external.hostTemplate)}:${external.port}`,
          containerPort: external.port,
        },
        firstNodePort: null,
      };
    }
  }
}

/** `{id}` becomes the broker id; the schema restricts templates to host-name characters, so this is shell-safe. */
function expandHost(template: string): string {
  return template.replaceAll('{id}', '${KAFKA_BROKER_ID}');
}

export function protocolMap(plan: ListenerPlan): string {
  return plan.listeners.map((l) => `${l.name}:${l.protocol}`).join(',');
}

export function advertisedListeners(plan: ListenerPlan): string {
  return plan.listeners.map((l) => l.advertised).join(',');
}
