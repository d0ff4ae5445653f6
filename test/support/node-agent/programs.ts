/**
 * What process a container becomes. The agent has no container runtime: it runs, per image,
 * what the image would run, from the pod's own spec.
 *
 * - The Kafka broker (found as kafka-warden finds it): the Kafka harness's pipeline, the chart's
 *   start script under /bin/sh, the image's configure step and template, then `kafka.Kafka` from
 *   the cached jars (test/e2e/kafka/harness: start-command, image-contract, substitutions).
 * - The ZooKeeper server: the same start script, cp-zookeeper's configure (zookeeper-image.ts),
 *   then `QuorumPeerMain`.
 * - The JMX exporter sidecar: `java -jar jmx_prometheus_httpserver.jar` as the harness runs it.
 * - Any other container (Schema Registry, Connect, REST Proxy, ksqlDB, Control Center): a
 *   stand-in shell, run as the container's user, that reads every file of every Secret volume the
 *   container mounts, as those images' configure steps read their keystores and credentials, and
 *   then sleeps. It exits 1 naming the file it cannot read, so the container crash-loops as the
 *   real one would. The agent never pretends to run software it does not have.
 *
 * Every departure from the pod spec is a Substitution with its reason (as in the Kafka tier).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG } from '../../../src/core/config';
import { detectWorkload } from '../../../src/core/detect';
import type { Container, KubeObject, PodSpec } from '../../../src/core/k8s-types';
import { configureLikeImage, propertiesText } from '../../e2e/kafka/harness/image-contract';
import { jmxExporterJar } from '../../e2e/kafka/harness/install';
import { exporterCommand } from '../../e2e/kafka/harness/pod-containers';
import { resolveContainerEnv, type PodStatus } from '../../e2e/kafka/harness/pod-env';
import { runStartCommand } from '../../e2e/kafka/harness/start-command';
import {
  brokerJvmOptions,
  substituteProperties,
  type Substitution,
} from '../../e2e/kafka/harness/substitutions';
import { mountVolumes, type MountTable } from '../../e2e/kafka/harness/volumes';
import { kafkaClassPath } from './kafka-jars';
import { configureZooKeeperLikeImage, ZK_DATA_DIR } from './zookeeper-image';

export interface Program {
  kind: 'kafka' | 'zookeeper' | 'exporter' | 'stand-in';
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The container's env as the kubelet resolved it (exec probes run with it). */
  containerEnv: Record<string, string>;
  mounts: MountTable;
  substitutions: Substitution[];
}

export interface ProgramContext {
  pod: KubeObject;
  container: Container;
  podDir: string;
  /** Secrets and ConfigMaps of the pod's namespace. */
  objects: KubeObject[];
  status: PodStatus;
  hostsFile: string;
  log4jConfig: string;
}

/** The JVM's own DNS cache would outlive a pod's endpoint changing; CoreDNS answers with a 5 s TTL. */
const DNS_TTL = ['-Dsun.net.inetaddr.ttl=1', '-Dsun.net.inetaddr.negative.ttl=1'];

const BASE_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

export function programFor(context: ProgramContext): Program {
  const { pod, container } = context;
  const detected = detectWorkload(pod.metadata, pod.spec as PodSpec, DEFAULT_CONFIG);
  const containerEnv = resolveContainerEnv({ ...context });
  const mounts = mountVolumes({ ...context });
  if (detected?.container.name === container.name) {
    return detected.role === 'kafka'
      ? broker(context, containerEnv, mounts)
      : zookeeper(context, containerEnv, mounts);
  }
  if ((container.command ?? []).some((arg) => arg.includes('jmx_prometheus_httpserver'))) {
    return exporter(context, containerEnv, mounts);
  }
  return standIn(context, containerEnv, mounts);
}

function broker(
  context: ProgramContext,
  containerEnv: Record<string, string>,
  mounts: MountTable,
): Program {
  const { pod, container, status } = context;
  const dir = containerDir(context);
  const started = runStartCommand(container, containerEnv, pod.metadata?.name ?? '');
  const image = configureLikeImage(started.env, mounts);
  const pod_ = {
    address: status.podIP,
    // The cluster's own ZooKeeper, by its Service name: no substitution.
    zookeeperConnect: image.env.KAFKA_ZOOKEEPER_CONNECT ?? '',
    mounts,
  };
  const substituted = substituteProperties(image.properties, pod_);
  const jvm = brokerJvmOptions(image.env, pod_, {
    hostsFile: context.hostsFile,
    log4jConfig: context.log4jConfig,
    logDir: dir,
  });
  const properties = Object.fromEntries(substituted.properties);
  for (const logDir of (properties['log.dirs'] ?? '').split(',')) {
    if (logDir && path.isAbsolute(logDir)) mkdirSync(logDir, { recursive: true });
  }
  const propertiesFile = path.join(dir, 'server.properties');
  writeFileSync(propertiesFile, propertiesText(substituted.properties));
  return {
    kind: 'kafka',
    command: 'java',
    args: [
      ...jvm.options,
      ...DNS_TTL,
      '-cp',
      kafkaClassPath(container.image),
      'kafka.Kafka',
      propertiesFile,
    ],
    env: BASE_ENV,
    containerEnv,
    mounts,
    substitutions: [...substituted.substitutions, ...jvm.substitutions],
  };
}

function zookeeper(
  context: ProgramContext,
  containerEnv: Record<string, string>,
  mounts: MountTable,
): Program {
  const { pod, container, status } = context;
  const dir = containerDir(context);
  const started = runStartCommand(container, containerEnv, pod.metadata?.name ?? '');
  const image = configureZooKeeperLikeImage(started.env);
  const substitutions: Substitution[] = [];
  const properties = image.properties.map(([name, value]): [string, string] => {
    let next = mounts.rewrite(value);
    if (name.startsWith('server.')) next = value.replace(/^0\.0\.0\.0:/, `${status.podIP}:`);
    if (next !== value) {
      substitutions.push({
        what: name,
        from: value,
        to: next,
        why: name.startsWith('server.')
          ? "the server's own quorum ports on the pod address instead of every interface"
          : 'a container path on a pod volume, at its host directory',
      });
    }
    return [name, next];
  });
  const added: [string, string, string][] = [
    ['clientPortAddress', status.podIP, 'the client port on the pod address, not every interface'],
    ['admin.enableServer', 'false', "Jetty's admin server would take port 8080 on every interface"],
  ];
  for (const [name, value, why] of added) {
    properties.push([name, value]);
    substitutions.push({ what: name, from: '(unset)', to: value, why });
  }
  const dataDir = mounts.toHost(ZK_DATA_DIR);
  if (dataDir === null)
    throw new Error(`container ${container.name}: ${ZK_DATA_DIR} is on no volume`);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, 'myid'), `${image.myid}\n`);
  const propertiesFile = path.join(dir, 'zookeeper.properties');
  writeFileSync(propertiesFile, propertiesText(properties));
  const jvm = brokerJvmOptions(
    started.env,
    { address: status.podIP, zookeeperConnect: '', mounts },
    {
      hostsFile: context.hostsFile,
      log4jConfig: context.log4jConfig,
      logDir: dir,
    },
  );
  return {
    kind: 'zookeeper',
    command: 'java',
    args: [
      ...jvm.options,
      ...DNS_TTL,
      '-cp',
      kafkaClassPath(container.image),
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      propertiesFile,
    ],
    env: BASE_ENV,
    containerEnv,
    mounts,
    substitutions: [...substitutions, ...jvm.substitutions],
  };
}

function exporter(
  context: ProgramContext,
  containerEnv: Record<string, string>,
  mounts: MountTable,
): Program {
  const command = exporterCommand({
    ...context,
    address: context.status.podIP,
    exporterJar: jmxExporterJar(),
  });
  if (!command) throw new Error(`container ${context.container.name}: not an exporter`);
  // `localhost` in the exporter's jmxUrl is the pod's own network namespace: the pod address.
  const text = readFileSync(command.configFile, 'utf8');
  const pointed = text.replace(/(jmxUrl:.*rmi:\/\/)localhost(:\d+)/, `$1${context.status.podIP}$2`);
  if (pointed !== text) writeFileSync(command.configFile, pointed);
  return {
    kind: 'exporter',
    command: 'java',
    args: command.args,
    env: BASE_ENV,
    containerEnv,
    mounts,
    substitutions: command.substitutions,
  };
}

function standIn(
  context: ProgramContext,
  containerEnv: Record<string, string>,
  mounts: MountTable,
): Program {
  const spec = context.pod.spec as PodSpec;
  const secretVolumes = new Set((spec.volumes ?? []).filter((v) => v.secret).map((v) => v.name));
  const files: string[] = [];
  for (const mount of context.container.volumeMounts ?? []) {
    if (!secretVolumes.has(mount.name)) continue;
    const host = mounts.toHost(mount.mountPath);
    if (host) files.push(...filesUnder(host));
  }
  // Each file read as the container's user; the first that fails ends the container.
  const script = [
    'for f in "$@"; do',
    '  if cat -- "$f" > /dev/null; then echo "read $f"; else echo "cannot read $f as $(id -u):$(id -g) groups $(id -G)"; exit 1; fi',
    'done',
    'echo "stand-in for image $KW_IMAGE ready"',
    'exec sleep 2147483647',
  ].join('\n');
  return {
    kind: 'stand-in',
    command: '/bin/sh',
    args: ['-c', script, 'stand-in', ...files],
    env: { ...BASE_ENV, ...containerEnv, KW_IMAGE: context.container.image ?? '' },
    containerEnv,
    mounts,
    substitutions: [
      {
        what: `container ${context.container.name}`,
        from: context.container.image ?? '(no image)',
        to: 'stand-in: reads its Secret files as its user, then sleeps',
        why: 'the agent has no jars for this image; what it can check is that the image could read its keystores',
      },
    ],
  };
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...filesUnder(file));
    else out.push(file);
  }
  return out;
}

function containerDir(context: ProgramContext): string {
  const dir = path.join(context.podDir, 'containers', context.container.name);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}
