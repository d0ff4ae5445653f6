/**
 * Every place where the harness departs from what the pod would do in a cluster, in one file, each
 * with its reason (docs/kafka-e2e.md lists them). Everything else in server.properties and the JVM
 * options is exactly what the image made of kafka-warden's output.
 */
import type { MountTable } from './volumes';

export interface Substitution {
  /** A property name or a JVM option. */
  what: string;
  from: string;
  to: string;
  why: string;
}

export interface PodContext {
  /** The pod's own loopback address (pod-network.ts). */
  address: string;
  /** host:port of the harness's ZooKeeper. */
  zookeeperConnect: string;
  mounts: MountTable;
}

/** Classes the chart's image ships and Apache Kafka's jars do not. */
const CONFLUENT_ONLY_PACKAGE = 'io.confluent.';

export function substituteProperties(
  properties: [string, string][],
  pod: PodContext,
): { properties: [string, string][]; substitutions: Substitution[] } {
  const substitutions: Substitution[] = [];
  const out: [string, string][] = [];
  for (const [name, value] of properties) {
    let next = value;
    if (name === 'listeners') {
      next = value.replace(/:\/\/(0\.0\.0\.0)?:/g, `://${pod.address}:`);
      record(
        substitutions,
        name,
        value,
        next,
        'bind on the pod address instead of every interface: each broker has its own loopback address, so three brokers share the ports kafka-warden computed',
      );
    } else if (name === 'zookeeper.connect') {
      next = pod.zookeeperConnect;
      record(
        substitutions,
        name,
        value,
        next,
        'the harness runs one ZooKeeper on 127.0.0.1 in place of the chart ensemble',
      );
    } else if (name === 'metric.reporters') {
      next = value
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== '' && !c.startsWith(CONFLUENT_ONLY_PACKAGE))
        .join(',');
      record(
        substitutions,
        name,
        value,
        next,
        "Confluent's metrics reporter ships in cp-enterprise-kafka, not in Apache Kafka's jars; the broker would not start with a class it cannot load",
      );
    } else {
      next = pod.mounts.rewrite(value);
      record(
        substitutions,
        name,
        value,
        next,
        'a container path on a pod volume, at its host directory',
      );
    }
    out.push([name, next]);
  }
  return { properties: out, substitutions };
}

function record(list: Substitution[], what: string, from: string, to: string, why: string): void {
  if (from !== to) list.push({ what, from, to, why });
}

/** Heap for each JVM: three brokers, ZooKeeper and three exporters share a 2-core CI runner. */
export const BROKER_HEAP = '-Xms64m -Xmx256m';
export const SMALL_HEAP = '-Xms16m -Xmx96m';
/**
 * In place of kafka-run-class's default performance options (G1, 20 ms pause target): serial GC
 * and C1 only start a small JVM in a fraction of the CPU time, which is what a test run spends.
 */
export const FAST_START_JVM = [
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
];

/** The JVM options the image's launch script and kafka-run-class would build, substituted. */
export function brokerJvmOptions(
  env: Record<string, string>,
  pod: PodContext,
  files: { hostsFile: string; log4jConfig: string; logDir: string },
): { options: string[]; substitutions: Substitution[] } {
  const substitutions: Substitution[] = [];
  const options: string[] = [];

  const heap = env.KAFKA_HEAP_OPTS ?? '-Xmx1G -Xms1G';
  record(
    substitutions,
    'KAFKA_HEAP_OPTS',
    heap,
    BROKER_HEAP,
    'small heaps: seven JVMs share a 2-core runner',
  );
  options.push(...words(BROKER_HEAP));

  if (env.KAFKA_JVM_PERFORMANCE_OPTS) {
    options.push(...words(env.KAFKA_JVM_PERFORMANCE_OPTS));
  } else {
    record(
      substitutions,
      'KAFKA_JVM_PERFORMANCE_OPTS',
      '(kafka-run-class default: G1)',
      FAST_START_JVM.join(' '),
      'start-up CPU on a 2-core runner',
    );
    options.push(...FAST_START_JVM);
  }

  // The launch script: KAFKA_JMX_PORT turns on remote JMX on that port for both the registry and
  // the RMI server, advertised as KAFKA_JMX_HOSTNAME (default `hostname -i`: the pod IP).
  const jmxPort = env.KAFKA_JMX_PORT;
  if (jmxPort) {
    const rmiHost = env.KAFKA_JMX_HOSTNAME || pod.address;
    options.push(
      ...words(
        env.KAFKA_JMX_OPTS ??
          '-Dcom.sun.management.jmxremote=true -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false',
      ),
      `-Djava.rmi.server.hostname=${rmiHost}`,
      '-Dcom.sun.management.jmxremote.local.only=false',
      `-Dcom.sun.management.jmxremote.rmi.port=${jmxPort}`,
      `-Dcom.sun.management.jmxremote.port=${jmxPort}`,
    );
    const bind = `-Dcom.sun.management.jmxremote.host=${pod.address}`;
    record(
      substitutions,
      'JMX bind address',
      '(every interface)',
      bind,
      'three brokers each bind JMX port ' + jmxPort + ' on their own address',
    );
    options.push(bind);
  }

  record(
    substitutions,
    'log4j configuration',
    '/etc/kafka/log4j.properties (from KAFKA_LOG4J_* env)',
    files.log4jConfig,
    'the same console logging, captured to a file per JVM',
  );
  options.push(
    `-Dlog4j.configuration=file:${files.log4jConfig}`,
    `-Dkafka.logs.dir=${files.logDir}`,
  );

  const hosts = `-Djdk.net.hosts.file=${files.hostsFile}`;
  record(
    substitutions,
    'DNS',
    '(cluster DNS)',
    hosts,
    'pod DNS names resolve to the pods’ loopback addresses',
  );
  options.push(hosts);

  if (env.KAFKA_OPTS) {
    // kafka-run-class expands $KAFKA_OPTS unquoted: shell word splitting.
    const kafkaOpts = pod.mounts.rewrite(env.KAFKA_OPTS);
    record(
      substitutions,
      'KAFKA_OPTS',
      env.KAFKA_OPTS,
      kafkaOpts,
      'a container path on a pod volume, at its host directory',
    );
    options.push(...words(kafkaOpts));
  }
  return { options, substitutions };
}

export function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}
