/**
 * The pod-level transformation: one function for a StatefulSet's pod template (post-renderer) and
 * for a Pod (mutating webhook). It computes the wanted state from the configuration alone, so
 * applying it to its own output changes nothing.
 */
import type { WardenConfig } from './config';
import { secretNameFor, usesSasl } from './config';
import { detectWorkload, type WorkloadRole } from './detect';
import { WardenError } from './errors';
import {
  clearStatus,
  emptyStatus,
  readStatus,
  removeStale,
  writeStatus,
  type InjectionStatus,
} from './injection-status';
import { kafkaExporterConfig, zookeeperExporterConfig } from './jmx-exporter-rules';
import type { Container, ObjectMeta, PodSpec, PodTemplate, Probe } from './k8s-types';
import {
  advertisedListeners,
  keepsSslListener,
  planListeners,
  protocolMap,
  tlsListenerName,
  type BrokerContext,
  type ListenerPlan,
} from './listeners';
import { getEnv, hasEnv, keepPlatformAdditions, withoutPlatformTokenMounts } from './pod-edit';
import { PodEditor } from './pod-editor';
import {
  brokerSaslEnv,
  CLIENT_JAAS_DIR,
  CLIENT_JAAS_VOLUME,
  clientSaslEnv,
  JAAS_DIR,
  JAAS_LOGIN_OPTION,
  JAAS_VOLUME,
  LOGIN_CONFIG_PROPERTY,
} from './sasl-wiring';
import { setRollGate } from './roll-gate';
import { secretModeFor } from './secret-modes';
import { withAdvertisedListeners } from './start-command';
import { zookeeperServingProbe } from './zookeeper-probe';
import { reconcileUserSettings } from './user-settings';
import {
  BROKER_SECRETS_DIR,
  BROKER_TLS_VOLUME,
  brokerTlsEnv,
  CLIENT_SECRETS_DIR,
  CLIENT_TLS_VOLUME,
  clientTlsEnv,
  CONTENT_HASH_ANNOTATION,
  KAFKA_CLIENT_COMPONENTS,
} from './tls-wiring';

export const EXPORTER_CONTAINER = 'prometheus-jmx-exporter';
export const INIT_CONTAINER = 'kafka-warden-init';
export const METRICS_VOLUME = 'kafka-warden-metrics';
const METRICS_DIR = '/etc/kafka-warden/metrics';
const EXPORTER_CONFIG_FILE = 'jmx-exporter.yml';

/** Resolves a bootstrap host (a headless or client Service name) to the Kafka cluster behind it. */
export type ClusterLookup = (host: string) => string | undefined;

export interface PodInjectionContext {
  /** Names the workload in error messages, e.g. `StatefulSet my-cp-cp-kafka`. */
  where: string;
  /** Required for brokers: identity, headless service and size of the cluster. */
  broker?: BrokerContext;
  /** For the chart's other components when PLAINTEXT is dropped. */
  clusters?: ClusterLookup;
}

export interface PodInjectionResult {
  role: WorkloadRole | 'kafka-client';
  status: InjectionStatus;
  listeners?: ListenerPlan;
}

export function injectPodTemplate(
  template: PodTemplate,
  ctx: PodInjectionContext,
  config: WardenConfig,
): PodInjectionResult | null {
  const spec = template.spec;
  if (!spec || !Array.isArray(spec.containers)) return null;
  const meta = (template.metadata ??= {});
  const detected = detectWorkload(meta, spec, config);
  const previous = readStatus(meta);

  let result: PodInjectionResult | null = null;
  if (detected?.role === 'kafka' && ctx.broker) {
    const rec = new PodEditor('kafka', previous);
    const listeners = injectBroker(
      spec,
      detected.container,
      ctx.broker,
      ctx.where,
      config,
      rec,
      previous,
    );
    addMetrics(template, detected.container, 'kafka', config, rec);
    // Last, so that turning SASL on later appends what a direct injection would put in the same places.
    if (usesSasl(config)) {
      addBrokerSasl(spec, detected.container, { ...ctx.broker, where: ctx.where }, config, rec);
    }
    setContentHash(meta, config, rec);
    rec.setRollGate(meta, spec, config.rollGate.enabled);
    result = { role: 'kafka', status: rec.status, listeners };
  } else if (detected?.role === 'zookeeper') {
    const rec = new PodEditor('zookeeper', previous);
    addMetrics(template, detected.container, 'zookeeper', config, rec);
    if (config.probes.enabled) {
      const port = Number(getEnv(detected.container, 'ZOOKEEPER_CLIENT_PORT') ?? 2181);
      setReadinessProbe(detected.container, zookeeperServingProbe(port), previous, rec, 10);
    }
    result = { role: 'zookeeper', status: rec.status };
  } else if (!detected && ctx.clusters && config.tls.enabled && !config.tls.keepPlaintext) {
    const rec = new PodEditor('kafka-client', previous);
    if (switchClientsToTls(spec, ctx.clusters, config, rec)) {
      setContentHash(meta, config, rec);
      result = { role: 'kafka-client', status: rec.status };
    }
  }
  if (!result) {
    // No editor here (nothing is injected any more): the gate goes by its own names.
    if (previous?.role === 'kafka') setRollGate(meta, spec, false);
    if (previous) {
      removeStale(meta, spec, previous, emptyStatus(previous.role));
      clearStatus(meta);
    }
    return null;
  }
  removeStale(meta, spec, previous, result.status);
  writeStatus(meta, result.status);
  return result;
}

/**
 * The roll trigger: a new value in the pod template makes the StatefulSet controller replace one
 * broker at a time (and Deployments their pods). kafka-warden itself never restarts anything.
 */
function setContentHash(meta: ObjectMeta, config: WardenConfig, rec: PodEditor): void {
  if (config.tls.enabled && config.tls.contentHash !== null) {
    rec.setAnnotation(meta, CONTENT_HASH_ANNOTATION, config.tls.contentHash);
  }
}

function injectBroker(
  spec: PodSpec,
  broker: Container,
  ctx: BrokerContext,
  where: string,
  config: WardenConfig,
  rec: PodEditor,
  previous: InjectionStatus | null,
): ListenerPlan {
  const plan = planListeners(ctx, config);
  // Read before anything is set: the user's values as the chart rendered them (on re-injection,
  // as kafka-warden recorded them).
  const userJmxPort = rec.originalEnv(broker, 'KAFKA_JMX_PORT');
  const keptMapEntries = reconcileUserSettings(
    {
      where,
      env: (name) => rec.originalEnv(broker, name),
      command: previous ? previous.originals?.command?.[broker.name] : broker.command,
      jmxPort:
        userJmxPort !== undefined
          ? Number(userJmxPort)
          : config.metrics.enabled
            ? config.metrics.jmxPort
            : null,
      replicas: ctx.replicas,
    },
    plan,
    config,
  );
  rec.setCommand(broker, withAdvertisedListeners(broker.command, advertisedListeners(plan), where));
  const set = (name: string, value: string) => rec.setEnv(broker, name, value);
  set('KAFKA_LISTENER_SECURITY_PROTOCOL_MAP', [protocolMap(plan), ...keptMapEntries].join(','));
  set('KAFKA_INTER_BROKER_LISTENER_NAME', plan.interBrokerListener);

  const portNames: Record<string, string> = {
    PLAINTEXT: 'kafka',
    SSL: 'kafka-tls',
    SASL_SSL: 'kafka-tls',
    EXTERNAL: 'kafka-external',
    EXTERNAL_SSL: 'kafka-external',
  };
  for (const listener of plan.listeners) {
    if (listener.containerPort === null || listener.name === 'PLAINTEXT') continue;
    // The SSL listener kept beside SASL_SSL gets a port name of its own: `kafka-tls` stays tls.port.
    const keptSsl = listener.name === 'SSL' && keepsSslListener(config);
    const name = keptSsl ? 'kafka-ssl' : (portNames[listener.name] ?? listener.name.toLowerCase());
    rec.setContainerPort(broker, name, listener.containerPort);
  }
  if (!plan.listeners.some((l) => l.name === 'PLAINTEXT')) {
    rec.removePorts(broker, (p) => p.containerPort === config.listeners.plaintextPort);
  }

  if (config.tls.enabled) {
    for (const [name, value] of brokerTlsEnv(config.tls.clientAuth)) set(name, value);
    rec.setVolume(spec, {
      name: BROKER_TLS_VOLUME,
      secret: {
        secretName: secretNameFor(config.tls.brokerSecretName, ctx.cluster),
        defaultMode: secretModeFor(spec, [broker]),
      },
    });
    rec.mountVolume(broker, {
      name: BROKER_TLS_VOLUME,
      mountPath: BROKER_SECRETS_DIR,
      readOnly: true,
    });
    const reporter = config.tls.keepPlaintext ? undefined : metricsReporter(broker);
    if (reporter) {
      const value = getEnv(broker, reporter.bootstrapEnv) ?? '';
      const scheme = tlsListenerName(config);
      set(
        reporter.bootstrapEnv,
        rewriteBootstrap(value, () => ctx.cluster, config.tls.port, scheme),
      );
      for (const prefix of reporter.clientPrefixes) {
        for (const [name, v] of clientTlsEnv(prefix, BROKER_SECRETS_DIR, scheme)) set(name, v);
      }
    }
  }
  if (config.probes.enabled) {
    setReadinessProbe(broker, { tcpSocket: { port: plan.internalPort } }, previous, rec, 30);
  }
  if (config.storage.fixUnmountedDataDirs) mountUnmountedDataDirs(spec, broker, rec);
  return plan;
}

/**
 * SASL beside TLS: the mechanism env, the JAAS Secret mounted read-only, and its path appended to
 * KAFKA_OPTS (DOMAIN.md §2: appended to the container's own options, never replacing them).
 */
function addBrokerSasl(
  spec: PodSpec,
  broker: Container,
  { cluster, where }: { cluster: string; where: string },
  config: WardenConfig,
  rec: PodEditor,
): void {
  const { mechanism } = config.sasl;
  for (const [name, value] of brokerSaslEnv(mechanism)) rec.setEnv(broker, name, value);
  if (broker.env?.find((e) => e.name === 'KAFKA_OPTS')?.valueFrom !== undefined) {
    throw new WardenError(
      'KW_BROKER_KAFKA_OPTS',
      `${where}: KAFKA_OPTS comes from valueFrom, so kafka-warden cannot append ${JAAS_LOGIN_OPTION} to it; give KAFKA_OPTS a literal value or set sasl.enabled: false`,
    );
  }
  if (rec.originalEnv(broker, 'KAFKA_OPTS', JAAS_LOGIN_OPTION)?.includes(LOGIN_CONFIG_PROPERTY)) {
    throw new WardenError(
      'KW_BROKER_KAFKA_OPTS',
      `${where}: KAFKA_OPTS already names a JAAS file (-D${LOGIN_CONFIG_PROPERTY}); with sasl.enabled kafka-warden mounts its own at ${JAAS_DIR}. Remove that option from KAFKA_OPTS or set sasl.enabled: false`,
    );
  }
  rec.appendEnvOption(broker, 'KAFKA_OPTS', JAAS_LOGIN_OPTION);
  rec.setVolume(spec, {
    name: JAAS_VOLUME,
    secret: {
      secretName: secretNameFor(config.sasl.jaasSecretName, cluster),
      defaultMode: secretModeFor(spec, [broker]),
    },
  });
  rec.mountVolume(broker, { name: JAAS_VOLUME, mountPath: JAAS_DIR, readOnly: true });
  // No JAAS property for the reporter: it runs in the broker JVM and logs in with KafkaClient.
  const reporter = config.tls.keepPlaintext ? undefined : metricsReporter(broker);
  for (const prefix of reporter?.clientPrefixes ?? []) {
    for (const [name, value] of clientSaslEnv(prefix, mechanism, null)) {
      rec.setEnv(broker, name, value);
    }
  }
}

/** The brokers' own Confluent metrics reporter, a Kafka client of its cluster, when configured. */
function metricsReporter(broker: Container): (typeof KAFKA_CLIENT_COMPONENTS)[number] | undefined {
  const reporter = KAFKA_CLIENT_COMPONENTS.find(
    (c) => c.bootstrapEnv === 'CONFLUENT_METRICS_REPORTER_BOOTSTRAP_SERVERS',
  );
  return reporter && hasEnv(broker, reporter.bootstrapEnv) ? reporter : undefined;
}

/**
 * cp-kafka with persistence.enabled=false renders `datadir-N` emptyDirs but mounts nothing, so the
 * broker writes its logs into the container's own filesystem. Mount each one where KAFKA_LOG_DIRS
 * expects it (`/opt/kafka/data-N/logs` lives on volume `datadir-N`).
 */
function mountUnmountedDataDirs(spec: PodSpec, broker: Container, rec: PodEditor): void {
  const logDirs = (getEnv(broker, 'KAFKA_LOG_DIRS') ?? '').split(',').filter(Boolean);
  for (const dir of logDirs) {
    const match = /^(\/opt\/kafka\/data-(\d+))\//.exec(dir.trim());
    if (!match?.[1]) continue;
    const volumeName = `datadir-${match[2]}`;
    const volume = spec.volumes?.find((v) => v.name === volumeName);
    const mounted = broker.volumeMounts?.some(
      (m) => m.name === volumeName || m.mountPath === match[1],
    );
    if (volume?.emptyDir !== undefined && !mounted) {
      rec.mountChartVolume(broker, { name: volumeName, mountPath: match[1] });
    }
  }
}

function setReadinessProbe(
  container: Container,
  handler: Pick<Probe, 'tcpSocket' | 'exec'>,
  previous: InjectionStatus | null,
  rec: PodEditor,
  initialDelaySeconds: number,
): void {
  const wanted = {
    ...handler,
    initialDelaySeconds,
    periodSeconds: 10,
    timeoutSeconds: 5,
    // Kubernetes's default, stated: the API server would add it, and a pod sent to the webhook
    // again (reinvocation) would otherwise be answered with a patch taking it away.
    successThreshold: 1,
    failureThreshold: 6,
  };
  // A readiness probe the user wrote is theirs; one kafka-warden wrote is refreshed.
  const ours =
    (previous?.readinessProbes.includes(container.name) ?? false) ||
    JSON.stringify(container.readinessProbe) === JSON.stringify(wanted);
  if (container.readinessProbe && !ours) return;
  rec.setReadinessProbe(container, wanted);
}

function addMetrics(
  template: PodTemplate,
  main: Container,
  role: WorkloadRole,
  config: WardenConfig,
  rec: PodEditor,
): void {
  if (!config.metrics.enabled) return;
  const spec = template.spec as PodSpec;
  const { port, jmxPort } = config.metrics;
  if (!hasEnv(main, 'KAFKA_JMX_PORT') || rec.ownedBefore(main.name, 'KAFKA_JMX_PORT')) {
    rec.setEnv(main, 'KAFKA_JMX_PORT', String(jmxPort));
  }
  const effectiveJmxPort = Number(getEnv(main, 'KAFKA_JMX_PORT') ?? jmxPort);
  const exporterConfig =
    role === 'kafka'
      ? kafkaExporterConfig(effectiveJmxPort)
      : zookeeperExporterConfig(effectiveJmxPort);

  // The exporter's configuration travels in the pod itself, written to an emptyDir by an init
  // container running the broker's own image (it has a shell and is already pulled). The webhook
  // can then inject metrics without a ConfigMap that it would have to create as a side effect.
  rec.setVolume(spec, { name: METRICS_VOLUME, emptyDir: {} });
  const init: Container = {
    name: INIT_CONTAINER,
    image: main.image,
    imagePullPolicy: 'IfNotPresent',
    command: [
      'sh',
      '-c',
      `printf '%s' "$JMX_EXPORTER_CONFIG" > ${METRICS_DIR}/${EXPORTER_CONFIG_FILE}`,
    ],
    env: [{ name: 'JMX_EXPORTER_CONFIG', value: exporterConfig }],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    volumeMounts: [{ name: METRICS_VOLUME, mountPath: METRICS_DIR }],
  };
  rec.setInitContainer(spec, INIT_CONTAINER, (existing) =>
    keepPlatformAdditions(spec, existing, init),
  );

  // The chart's sidecar image (solsson/kafka-prometheus-jmx-exporter) is what users already pull;
  // keep its image and resources, replace the configuration it reads.
  const existing = spec.containers.find((c) => c.name === EXPORTER_CONTAINER);
  rec.replaceContainer(
    spec.containers,
    keepPlatformAdditions(spec, existing, {
      name: EXPORTER_CONTAINER,
      image: existing?.image ?? config.metrics.exporterImage,
      imagePullPolicy: 'IfNotPresent',
      command: [
        'java',
        '-XX:+UnlockExperimentalVMOptions',
        '-XX:+UseCGroupMemoryLimitForHeap',
        '-XX:MaxRAMFraction=1',
        '-XshowSettings:vm',
        '-jar',
        'jmx_prometheus_httpserver.jar',
        String(port),
        `${METRICS_DIR}/${EXPORTER_CONFIG_FILE}`,
      ],
      ports: [{ containerPort: port, name: 'metrics' }],
      resources: existing?.resources ?? {},
      volumeMounts: [{ name: METRICS_VOLUME, mountPath: METRICS_DIR, readOnly: true }],
    }),
    withoutPlatformTokenMounts,
  );

  const meta = (template.metadata ??= {});
  rec.setChartAnnotation(meta, 'prometheus.io/scrape', 'true');
  rec.setChartAnnotation(meta, 'prometheus.io/port', String(port));
}

/**
 * Rewrites `PLAINTEXT://host:port` entries that point at a known Kafka cluster to its TLS listener.
 * The scheme matters: Schema Registry uses only the endpoints whose scheme is its security protocol.
 */
export function rewriteBootstrap(
  value: string,
  lookup: ClusterLookup,
  tlsPort: number,
  scheme: 'SSL' | 'SASL_SSL' = 'SSL',
): string {
  return value
    .split(',')
    .map((entry) => {
      const match = /^\s*(?:(PLAINTEXT|SSL|SASL_SSL):\/\/)?([^:/\s]+):(\d+)\s*$/.exec(entry);
      if (!match?.[2] || !lookup(match[2])) return entry;
      return `${scheme}://${match[2]}:${tlsPort}`;
    })
    .join(',');
}

function switchClientsToTls(
  spec: PodSpec,
  clusters: ClusterLookup,
  config: WardenConfig,
  rec: PodEditor,
): boolean {
  let cluster: string | undefined;
  const mounting: Container[] = [];
  for (const container of spec.containers) {
    for (const component of KAFKA_CLIENT_COMPONENTS) {
      const bootstrap = getEnv(container, component.bootstrapEnv);
      if (bootstrap === undefined) continue;
      const host = /^\s*(?:[A-Z_]+:\/\/)?([^:/\s,]+)/.exec(bootstrap)?.[1];
      const found = host ? clusters(host) : undefined;
      if (!found) continue;
      cluster ??= found;
      const set = (name: string, value: string) => rec.setEnv(container, name, value);
      const scheme = tlsListenerName(config);
      set(component.bootstrapEnv, rewriteBootstrap(bootstrap, clusters, config.tls.port, scheme));
      for (const prefix of component.clientPrefixes) {
        for (const [name, value] of clientTlsEnv(prefix, CLIENT_SECRETS_DIR, scheme)) {
          set(name, value);
        }
      }
      // After every prefix's SSL settings: where SASL is turned on later, appending lands here too.
      for (const prefix of usesSasl(config) ? component.clientPrefixes : []) {
        for (const [name, value] of clientSaslEnv(prefix, config.sasl.mechanism, CLIENT_JAAS_DIR)) {
          set(name, value);
        }
      }
      rec.mountVolume(container, {
        name: CLIENT_TLS_VOLUME,
        mountPath: CLIENT_SECRETS_DIR,
        readOnly: true,
      });
      mounting.push(container);
      if (usesSasl(config)) {
        rec.mountVolume(container, {
          name: CLIENT_JAAS_VOLUME,
          mountPath: CLIENT_JAAS_DIR,
          readOnly: true,
        });
      }
    }
  }
  if (!cluster) return false;
  const defaultMode = secretModeFor(spec, mounting);
  rec.setVolume(spec, {
    name: CLIENT_TLS_VOLUME,
    secret: { secretName: secretNameFor(config.tls.clientSecretName, cluster), defaultMode },
  });
  if (usesSasl(config)) {
    const secretName = secretNameFor(config.sasl.clientJaasSecretName, cluster);
    rec.setVolume(spec, { name: CLIENT_JAAS_VOLUME, secret: { secretName, defaultMode } });
  }
  return true;
}
