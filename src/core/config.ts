/**
 * What kafka-warden injects, as data. The same resolved configuration drives the post-renderer and
 * the mutating webhook; `src/config/schema.json` is its published schema and must stay in step
 * (test/unit/config/config.test.ts checks every default against it).
 */

export type ExternalMode = 'none' | 'nodeport' | 'loadbalancer' | 'hostname';
export type ClientAuth = 'required' | 'requested';
export type SaslMechanism = 'PLAIN';

export interface WorkloadMatcher {
  /** Pod template labels that mark the workload (all must match). */
  labels: Record<string, string>;
  /** Container names that mark the main container. */
  containerNames: string[];
  /** Image repositories (without tag or digest) of the main container. */
  images: string[];
}

export interface WardenConfig {
  detection: {
    kafka: WorkloadMatcher;
    zookeeper: WorkloadMatcher;
  };
  tls: {
    enabled: boolean;
    /** Keep the PLAINTEXT listener next to SSL; false also switches the chart's other components to SSL. */
    keepPlaintext: boolean;
    clientAuth: ClientAuth;
    port: number;
    /**
     * Listener brokers replicate over. `SSL`: the TLS listener (named SASL_SSL with SASL), or the
     * plain SSL listener `sasl.keepSslListener` keeps; `PLAINTEXT` or `SASL_SSL` by name. A migration
     * keeps replicating over the old listener for one roll (docs/policy.md, `listener-migration`).
     */
    interBrokerListener: 'SSL' | 'PLAINTEXT' | 'SASL_SSL';
    /** Secret names; `{cluster}` is the broker StatefulSet's name. */
    brokerSecretName: string;
    clientSecretName: string;
    /**
     * Written as pod template annotation `kafka-warden.io/tls-content-hash` on brokers and their
     * TLS clients: a new value (the renewed Secrets' hash, `kafka-warden certs hash`) makes the
     * StatefulSet and Deployments roll. Null leaves that annotation to whoever else sets it.
     */
    contentHash: string | null;
  };
  /** SASL beside mutual TLS: the SSL listener becomes a SASL_SSL listener. Needs tls.enabled. */
  sasl: {
    enabled: boolean;
    mechanism: SaslMechanism;
    /** Secret with key `kafka_server_jaas.conf`, mounted on the brokers; `{cluster}` as above. */
    jaasSecretName: string;
    /** Secret with key `sasl-jaas.properties` (`sasl.jaas.config=…`) for the chart's other components. */
    clientJaasSecretName: string;
    /**
     * Keep a plain mutual-TLS `SSL` listener on `sslListenerPort` beside SASL_SSL: the rolls that
     * move inter-broker traffic between SSL and SASL_SSL need both on every broker.
     */
    keepSslListener: boolean;
    sslListenerPort: number;
  };
  listeners: {
    plaintextPort: number;
    external: {
      mode: ExternalMode;
      /** Port the external listener is advertised on (loadbalancer, hostname). */
      port: number;
      /** First NodePort; broker N gets firstListenerPort + N. Null: the chart's own value. */
      firstListenerPort: number | null;
      /** Advertised host; `{id}` is the broker id. Required for loadbalancer and hostname. */
      hostTemplate: string | null;
    };
  };
  metrics: {
    enabled: boolean;
    port: number;
    jmxPort: number;
    /** Image of the exporter sidecar; the chart's own sidecar image is kept when present. */
    exporterImage: string;
  };
  probes: { enabled: boolean };
  /**
   * The Kafka-aware roll gate (docs/design.md, "The roll gate"): brokers carry a readiness gate that
   * `serve --roll-gate` sets True only while the broker is caught up. Off by default: without the
   * controller running, a gated broker never turns Ready and OrderedReady stops at the first one.
   */
  rollGate: { enabled: boolean };
  disruptionBudgets: {
    /** Add a policy/v1 PodDisruptionBudget (maxUnavailable 1) for each broker StatefulSet. */
    kafka: boolean;
    /** Rewrite policy/v1beta1 PodDisruptionBudgets, which Kubernetes 1.25+ no longer serves, to policy/v1. */
    upgradeApiVersion: boolean;
  };
  storage: {
    /** Mount the broker data emptyDir that cp-kafka renders but never mounts (persistence.enabled=false). */
    fixUnmountedDataDirs: boolean;
  };
}

export const DEFAULT_CONFIG: WardenConfig = {
  detection: {
    kafka: {
      labels: { app: 'cp-kafka' },
      containerNames: ['cp-kafka-broker'],
      images: [
        'confluentinc/cp-kafka',
        'confluentinc/cp-enterprise-kafka',
        'confluentinc/cp-server',
      ],
    },
    zookeeper: {
      labels: { app: 'cp-zookeeper' },
      containerNames: ['cp-zookeeper-server'],
      images: ['confluentinc/cp-zookeeper'],
    },
  },
  tls: {
    enabled: true,
    keepPlaintext: true,
    clientAuth: 'required',
    port: 9093,
    interBrokerListener: 'SSL',
    brokerSecretName: '{cluster}-broker-tls',
    clientSecretName: '{cluster}-client-tls',
    contentHash: null,
  },
  sasl: {
    enabled: false,
    mechanism: 'PLAIN',
    jaasSecretName: '{cluster}-jaas',
    clientJaasSecretName: '{cluster}-client-jaas',
    keepSslListener: false,
    sslListenerPort: 9095,
  },
  listeners: {
    plaintextPort: 9092,
    external: { mode: 'none', port: 9094, firstListenerPort: null, hostTemplate: null },
  },
  metrics: {
    enabled: true,
    port: 5556,
    jmxPort: 5555,
    exporterImage:
      'solsson/kafka-prometheus-jmx-exporter@sha256:6f82e2b0464f50da8104acd7363fb9b995001ddff77d248379f8788e78946143',
  },
  probes: { enabled: true },
  rollGate: { enabled: false },
  disruptionBudgets: { kafka: true, upgradeApiVersion: true },
  storage: { fixUnmountedDataDirs: true },
};

/** A configuration file's content: any subset of WardenConfig. */
export type PartialConfig = DeepPartial<WardenConfig>;
type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends unknown[]
    ? T[K]
    : T[K] extends Record<string, unknown>
      ? DeepPartial<T[K]>
      : T[K];
};

/** Overlays a validated partial configuration on the defaults. Arrays and label maps replace. */
export function resolveConfig(partial: PartialConfig = {}): WardenConfig {
  return mergeInto(structuredClone(DEFAULT_CONFIG), partial) as WardenConfig;
}

function mergeInto(base: unknown, overlay: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overlay))
    return overlay === undefined ? base : overlay;
  for (const [key, value] of Object.entries(overlay)) {
    // Label maps are a whole selector: merging would silently keep default labels the user removed.
    base[key] = key === 'labels' ? value : mergeInto(base[key], value);
  }
  return base;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function secretNameFor(template: string, cluster: string): string {
  return template.replaceAll('{cluster}', cluster);
}

/** SASL is offered only on the TLS listener (SASL_SSL); without TLS the setting has no effect. */
export function usesSasl(config: WardenConfig): boolean {
  return config.tls.enabled && config.sasl.enabled;
}
