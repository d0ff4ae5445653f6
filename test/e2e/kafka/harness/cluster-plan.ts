/**
 * A whole cluster planned from kafka-warden's output, with nothing started: the broker pods (from
 * the post-renderer or the webhook), the pod network and its DNS table, the Secrets issued by
 * src/tls, and every broker's plan (broker-plan.ts). Refusals surface here, before any process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WardenConfig } from '../../../../src/core/config';
import type { KubeObject } from '../../../../src/core/k8s-types';
import { brokerSubjectAltNames } from '../../../../src/tls';
import { brokerPods, type BrokerPods, type PodSource } from './broker-pods';
import { planBroker, type BrokerPlan } from './broker-plan';
import { jmxExporterJar } from './install';
import { allocatePodNetwork, freePort, type PodNetwork } from './pod-network';
import { issueClusterMaterial, type ClusterMaterial } from './tls-material';

export interface ClusterPlanOptions {
  source: PodSource;
  config: WardenConfig;
  /** A render under ../shared/cp-helm-charts/rendered (default `0.6.1/default`). */
  render?: string;
  /** The render's text instead of that file (a test's own `helm template`; see broker-pods.ts). */
  renderText?: string;
  namespace?: string;
  /** Changes to the issued Secrets before the pods see them (refusal tests). */
  editSecrets?: (secrets: KubeObject[]) => void;
  /** Names the temp directory (the Kafka version, for a cluster that will run). */
  label?: string;
}

export interface ClusterPlan {
  dir: string;
  pods: BrokerPods;
  network: PodNetwork;
  material: ClusterMaterial;
  /** host:port ZooKeeper must listen on. */
  zookeeperConnect: string;
  hostsFile: string;
  log4jConfig: string;
  brokers: BrokerPlan[];
  /** Removes the temp directory (unless KW_KAFKA_KEEP=1). */
  remove(): void;
}

const LOG4J = `# The image's log4j template, minus the env knobs: everything to stdout at INFO.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.zookeeper=WARN
`;

export async function planCluster(options: ClusterPlanOptions): Promise<ClusterPlan> {
  const exporterJar = jmxExporterJar();
  const namespace = options.namespace ?? 'default';
  const pods = await brokerPods({
    source: options.source,
    config: options.config,
    namespace,
    ...(options.render ? { render: options.render } : {}),
    ...(options.renderText ? { renderText: options.renderText } : {}),
  });
  const dir = mkdtempSync(path.join(tmpdir(), `kw-kafka-${options.label ?? 'plan'}-`));
  const remove = () => {
    if (process.env.KW_KAFKA_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  };
  try {
    const network = await allocatePodNetwork();
    const cluster = pods.statefulSet.metadata?.name ?? '';
    const replicas = pods.pods.length;
    for (const name of brokerSubjectAltNames({
      cluster,
      headlessService: pods.headlessService,
      namespace,
      replicas,
    }).dns) {
      // Pod names map to their pod; Service names to every broker, as a headless Service does.
      const ordinal = podOrdinal(name, cluster, pods.headlessService);
      for (let i = 0; i < replicas; i++) {
        if (ordinal === null || ordinal === i) network.add(name, network.podAddress(i));
      }
    }
    const hostsFile = path.join(dir, 'hosts');
    writeFileSync(hostsFile, network.hostsFile());
    const log4jConfig = path.join(dir, 'log4j.properties');
    writeFileSync(log4jConfig, LOG4J);

    const material = await issueClusterMaterial({
      cluster,
      headlessService: pods.headlessService,
      namespace,
      replicas,
      config: options.config,
      dir,
    });
    options.editSecrets?.(material.secrets);
    const objects = [...pods.objects, ...material.secrets];

    const zookeeperConnect = `127.0.0.1:${await freePort('127.0.0.1')}`;
    const brokers = pods.pods.map((pod, ordinal) =>
      planBroker({
        pod,
        ordinal,
        config: options.config,
        objects,
        address: network.podAddress(ordinal),
        dir: path.join(dir, `broker-${ordinal}`),
        zookeeperConnect,
        hostsFile,
        log4jConfig,
        exporterJar,
      }),
    );
    return {
      dir,
      pods,
      network,
      material,
      zookeeperConnect,
      hostsFile,
      log4jConfig,
      brokers,
      remove,
    };
  } catch (error) {
    remove();
    throw error;
  }
}

/** The ordinal a DNS name belongs to (`<sts>-<n>.<headless>…`), or null for a Service name. */
function podOrdinal(name: string, cluster: string, headless: string): number | null {
  const match = new RegExp(`^${cluster}-(\\d+)\\.${headless}(\\.|$)`).exec(name);
  return match ? Number(match[1]) : null;
}
