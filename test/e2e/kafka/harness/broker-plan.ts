/**
 * One broker pod, from its spec to a runnable JVM command, without starting anything:
 * volumes → init containers → the pod env → the container's start command (real /bin/sh) → the
 * image's configure step and properties template → the per-pod substitutions. Any refusal on the
 * way (kubelet, image) throws before a single process of the cluster starts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WardenConfig } from '../../../../src/core/config';
import type { KubeObject } from '../../../../src/core/k8s-types';
import { brokerContainer } from './broker-pods';
import { configureLikeImage, propertiesText, type ImageConfiguration } from './image-contract';
import { exporterCommand, runInitContainers, type ExporterCommand } from './pod-containers';
import { resolveContainerEnv, type PodStatus } from './pod-env';
import { runStartCommand } from './start-command';
import {
  brokerJvmOptions,
  substituteProperties,
  type PodContext,
  type Substitution,
} from './substitutions';
import { mountVolumes, type MountTable } from './volumes';

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export interface BrokerPlan {
  ordinal: number;
  podName: string;
  address: string;
  dir: string;
  /** The environment the image's entrypoint received (after the chart's start script). */
  entrypointEnv: Record<string, string>;
  /** The start script's `-x` trace. */
  trace: string;
  image: ImageConfiguration;
  /** The advertised listeners kafka-warden's start script computed, as the image passes them on. */
  advertisedListeners: Listener[];
  /** listener name → security protocol. */
  protocols: Record<string, string>;
  /** server.properties after the substitutions, as the broker reads it. */
  properties: Record<string, string>;
  propertiesFile: string;
  jvmOptions: string[];
  mounts: MountTable;
  exporter: ExporterCommand | null;
  substitutions: Substitution[];
}

export function planBroker(options: {
  pod: KubeObject;
  ordinal: number;
  config: WardenConfig;
  objects: KubeObject[];
  address: string;
  dir: string;
  zookeeperConnect: string;
  hostsFile: string;
  log4jConfig: string;
  exporterJar: string;
}): BrokerPlan {
  const { pod, address } = options;
  const podName = pod.metadata?.name ?? '';
  mkdirSync(options.dir, { recursive: true });
  // Each "pod" runs on its own "node" at its own address.
  const status: PodStatus = {
    podIP: address,
    hostIP: address,
    nodeName: `node-${options.ordinal}`,
  };
  const files = { pod, podDir: options.dir, objects: options.objects, status };

  const container = brokerContainer(pod, options.config);
  const mounts = mountVolumes({ ...files, container });
  const substitutions = runInitContainers(files);

  const env = resolveContainerEnv({ pod, container, status, objects: options.objects });
  const started = runStartCommand(container, env, podName);
  const image = configureLikeImage(started.env, mounts);

  const context: PodContext = { address, zookeeperConnect: options.zookeeperConnect, mounts };
  const substituted = substituteProperties(image.properties, context);
  substitutions.push(...substituted.substitutions);
  const logDir = path.join(options.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const jvm = brokerJvmOptions(image.env, context, {
    hostsFile: options.hostsFile,
    log4jConfig: options.log4jConfig,
    logDir,
  });
  substitutions.push(...jvm.substitutions);

  const properties = Object.fromEntries(substituted.properties);
  for (const dir of (properties['log.dirs'] ?? '').split(',')) {
    if (dir && path.isAbsolute(dir)) mkdirSync(dir, { recursive: true });
  }
  const propertiesFile = path.join(options.dir, 'server.properties');
  writeFileSync(propertiesFile, propertiesText(substituted.properties));

  const exporter = exporterCommand({ ...files, address, exporterJar: options.exporterJar });
  if (exporter)
    substitutions.push(...exporter.substitutions, ...pointExporterAtPod(exporter, address));

  return {
    ordinal: options.ordinal,
    podName,
    address,
    dir: options.dir,
    entrypointEnv: started.env,
    trace: started.trace,
    image,
    advertisedListeners: parseListeners(image.env.KAFKA_ADVERTISED_LISTENERS ?? ''),
    protocols: parseProtocolMap(image.env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP),
    properties,
    propertiesFile,
    jvmOptions: jvm.options,
    mounts,
    exporter,
    substitutions,
  };
}

/**
 * `localhost` in the exporter's jmxUrl is the pod's own network namespace; here the pod's address
 * stands for it. The file is the one the pod's init container wrote.
 */
function pointExporterAtPod(exporter: ExporterCommand, address: string): Substitution[] {
  const text = readFileSync(exporter.configFile, 'utf8');
  const pointed = text.replace(/(jmxUrl:.*rmi:\/\/)localhost(:\d+)/, `$1${address}$2`);
  writeFileSync(exporter.configFile, pointed);
  const from = /jmxUrl:.*/.exec(text)?.[0] ?? '';
  const to = /jmxUrl:.*/.exec(pointed)?.[0] ?? '';
  return from === to
    ? []
    : [{ what: 'exporter jmxUrl', from, to, why: "localhost in a pod is the pod's own address" }];
}

export function parseListeners(text: string): Listener[] {
  return text
    .split(',')
    .filter((l) => l.trim() !== '')
    .map((listener) => {
      const match = /^([A-Za-z0-9_]+):\/\/(.*):(\d+)$/.exec(listener.trim());
      if (!match) throw new Error(`not a listener: ${listener}`);
      return { name: match[1] as string, host: match[2] as string, port: Number(match[3]) };
    });
}

/** listener.security.protocol.map; unset, Kafka maps each standard protocol name to itself. */
function parseProtocolMap(text: string | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  if (!text) {
    for (const name of ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']) map[name] = name;
    return map;
  }
  for (const entry of text.split(',')) {
    const [name, protocol] = entry.split(':');
    if (name && protocol) map[name.trim()] = protocol.trim();
  }
  return map;
}
