/**
 * A running Kafka cluster started from kafka-warden's output: ZooKeeper, one broker JVM per pod of
 * the broker StatefulSet, and each pod's JMX exporter sidecar. Every broker is planned (and may
 * be refused) before anything starts; `stop()` always ends every process and removes the temp
 * directory (set KW_KAFKA_KEEP=1 to keep it for a look).
 *
 * The handle is what later tiers build on: bootstrap addresses, a kafkajs client factory with the
 * pod DNS mapping, stop/start of one broker by ordinal, Kafka's tools with a client config, and
 * each broker's server.properties.
 */
import path from 'node:path';
import type { Kafka, SASLOptions } from 'kafkajs';
import type { BrokerPods } from './broker-pods';
import type { BrokerPlan, Listener } from './broker-plan';
import { planCluster, type ClusterPlanOptions } from './cluster-plan';
import { classPath, javaBinary, kafkaLibs, type KafkaVersion } from './install';
import { kafkaClient } from './kafka-client';
import { runJavaClass, toolClass, writeClientProperties, type ToolRun } from './kafka-tool';
import type { PodNetwork } from './pod-network';
import { delay, startProcess, type ManagedProcess } from './processes';
import type { ClusterMaterial } from './tls-material';
import { startZooKeeper, type ZooKeeper } from './zookeeper';

export interface KafkaClusterOptions extends Omit<ClusterPlanOptions, 'label'> {
  version: KafkaVersion;
  /** Per step: ZooKeeper start, each broker's start, each exporter's first scrape. */
  timeoutMs?: number;
}

export interface RunningBroker extends BrokerPlan {
  process: ManagedProcess | null;
  exporterProcess: ManagedProcess | null;
  logFile: string;
}

export interface KafkaCluster {
  version: KafkaVersion;
  dir: string;
  pods: BrokerPods;
  network: PodNetwork;
  material: ClusterMaterial;
  zookeeper: ZooKeeper;
  brokers: RunningBroker[];
  /** Milliseconds spent planning (pods, Secrets, evaluation), starting ZooKeeper, the brokers, the exporters. */
  timings: { plan: number; zookeeper: number; brokers: number; exporters: number };
  /** The listener clients use: the one whose protocol is SSL or SASL_SSL. */
  clientListener: string;
  /** `host:port` of every broker on `listener` (default: clientListener), as advertised. */
  bootstrap(listener?: string): string[];
  /** A kafkajs client over clientListener with the client certificate kafka-warden issued. */
  kafka(options?: {
    tls?: 'mtls' | 'server-only';
    sasl?: SASLOptions | null;
    clientId?: string;
  }): Kafka;
  /** SASL/PLAIN options of the test user from the JAAS Secret (SASL clusters only). */
  saslPlain(): { mechanism: 'plain'; username: string; password: string };
  /** A Java client configuration file for Kafka's tools (clientListener, client keystore). */
  clientPropertiesFile: string;
  stopBroker(ordinal: number, options?: { graceMs?: number }): Promise<void>;
  startBroker(ordinal: number): Promise<void>;
  /** A Kafka tool by script name (`kafka-reassign-partitions`) or class name, from the same jars. */
  runTool(tool: string, args: string[], timeoutMs?: number): Promise<ToolRun>;
  /** Every broker's log, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

const STARTED = /\[KafkaServer id=\d+\] started/;

export async function startKafkaCluster(options: KafkaClusterOptions): Promise<KafkaCluster> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  const java = javaBinary();
  const libs = classPath(kafkaLibs(options.version));
  // Every broker is planned (and may be refused) before any process starts.
  const plan = await planCluster({ ...options, label: options.version });
  const { dir, network, material, hostsFile, log4jConfig } = plan;
  const timings = { plan: Date.now() - started, zookeeper: 0, brokers: 0, exporters: 0 };
  const processes: ManagedProcess[] = [];
  let zookeeper: ZooKeeper | null = null;
  const cleanUp = async () => {
    await Promise.all(processes.map((p) => p.stop(0)));
    if (zookeeper) await zookeeper.process.stop(0);
    plan.remove();
  };

  try {
    const brokers: RunningBroker[] = plan.brokers.map((broker) => ({
      ...broker,
      process: null,
      exporterProcess: null,
      logFile: path.join(broker.dir, 'broker.log'),
    }));

    const clientListener = brokers[0]?.advertisedListeners.find((l) =>
      ['SSL', 'SASL_SSL'].includes(brokers[0]?.protocols[l.name] ?? ''),
    )?.name;
    if (!clientListener) throw new Error('no SSL or SASL_SSL listener is advertised');
    const saslUsers = material.saslUsers;
    const clientProtocol = brokers[0]?.protocols[clientListener] as 'SSL' | 'SASL_SSL';
    const clientPropertiesFile = writeClientProperties(
      path.join(dir, 'client.properties'),
      material.client,
      {
        protocol: clientProtocol,
        ...(clientProtocol === 'SASL_SSL' && saslUsers
          ? { sasl: { username: saslUsers.client.name, password: saslUsers.client.password } }
          : {}),
      },
    );

    let mark = Date.now();
    zookeeper = await startZooKeeper({
      connect: plan.zookeeperConnect,
      dir: path.join(dir, 'zookeeper'),
      java,
      classPath: libs,
      log4jConfig,
      timeoutMs,
    });
    const zk = zookeeper;

    const launch = async (broker: RunningBroker): Promise<void> => {
      broker.process = startProcess({
        name: `broker ${broker.ordinal} (${broker.podName})`,
        command: java,
        args: [...broker.jvmOptions, '-cp', libs, 'kafka.Kafka', broker.propertiesFile],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        logFile: broker.logFile,
      });
      processes.push(broker.process);
      await broker.process.waitForLog(STARTED, timeoutMs);
    };
    const launchExporter = async (broker: RunningBroker): Promise<void> => {
      if (!broker.exporter) return;
      broker.exporterProcess = startProcess({
        name: `exporter ${broker.ordinal}`,
        command: java,
        args: broker.exporter.args,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        logFile: path.join(broker.dir, 'exporter.log'),
      });
      processes.push(broker.exporterProcess);
      await waitForHttp(broker.exporter.metricsUrl, broker.exporterProcess, timeoutMs);
    };

    timings.zookeeper = Date.now() - mark;
    mark = Date.now();
    // Together, to save time: a broker turns ready (its listener) without waiting for the others.
    await Promise.all(brokers.map(launch));
    timings.brokers = Date.now() - mark;
    mark = Date.now();
    await Promise.all(brokers.map(launchExporter));
    timings.exporters = Date.now() - mark;

    const handle: KafkaCluster = {
      version: options.version,
      dir,
      pods: plan.pods,
      network,
      material,
      zookeeper: zk,
      brokers,
      timings,
      clientListener,
      clientPropertiesFile,
      bootstrap(listener = clientListener) {
        return brokers.map((b) => {
          const found = b.advertisedListeners.find((l: Listener) => l.name === listener);
          if (!found) throw new Error(`broker ${b.ordinal} advertises no ${listener} listener`);
          return `${found.host}:${found.port}`;
        });
      },
      kafka(clientOptions = {}) {
        const sasl =
          clientOptions.sasl === undefined
            ? clientProtocol === 'SASL_SSL'
              ? handle.saslPlain()
              : undefined
            : (clientOptions.sasl ?? undefined);
        return kafkaClient({
          brokers: handle.bootstrap(),
          network,
          tls: clientOptions.tls ?? 'mtls',
          material: material.client,
          ...(sasl ? { sasl } : {}),
          ...(clientOptions.clientId ? { clientId: clientOptions.clientId } : {}),
        });
      },
      saslPlain() {
        if (!saslUsers) throw new Error('this cluster has no SASL users (sasl.enabled is off)');
        return {
          mechanism: 'plain',
          username: saslUsers.client.name,
          password: saslUsers.client.password,
        };
      },
      async stopBroker(ordinal, stopOptions = {}) {
        const broker = brokerAt(brokers, ordinal);
        if (broker.process?.running()) await broker.process.stop(stopOptions.graceMs ?? 30_000);
      },
      async startBroker(ordinal) {
        const broker = brokerAt(brokers, ordinal);
        if (broker.process?.running()) throw new Error(`broker ${ordinal} is running`);
        await launch(broker);
      },
      runTool(tool, args, toolTimeoutMs = 60_000) {
        return runJavaClass({
          java,
          classPath: libs,
          className: tool.includes('.') ? tool : toolClass(tool, options.version),
          args,
          hostsFile,
          log4jConfig,
          timeoutMs: toolTimeoutMs,
        });
      },
      logs() {
        return brokers
          .map(
            (b) =>
              `--- ${b.process?.name ?? `broker ${b.ordinal}`}: ${b.logFile}\n${b.process?.tail(40) ?? ''}`,
          )
          .join('\n');
      },
      stop: cleanUp,
    };
    return handle;
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

function brokerAt(brokers: RunningBroker[], ordinal: number): RunningBroker {
  const broker = brokers[ordinal];
  if (!broker) throw new Error(`no broker with ordinal ${ordinal}`);
  return broker;
}

async function waitForHttp(url: string, owner: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!owner.running()) {
      throw new Error(
        `${owner.name} exited before serving ${url}; ${owner.logFile}:\n${owner.tail()}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await delay(500);
  }
  throw new Error(
    `${url} not serving within ${timeoutMs} ms (${last}); ${owner.logFile}:\n${owner.tail()}`,
  );
}
