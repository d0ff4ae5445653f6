/**
 * Kafka's own command-line tools (reassignment, topics, consumer groups) from the same jars as the
 * brokers, run as kafka-run-class runs them, with a client configuration file for the cluster's
 * TLS listener and the pod network's DNS table.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { KafkaVersion } from './install';
import { FAST_START_JVM, SMALL_HEAP, words } from './substitutions';
import type { ClientMaterial } from './tls-material';

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Tool classes by their script name; several moved from core (kafka.admin) to kafka-tools in 3.x. */
const TOOL_CLASSES: Record<string, Record<KafkaVersion, string>> = {
  'kafka-reassign-partitions': {
    '2.7.2': 'kafka.admin.ReassignPartitionsCommand',
    '3.9.1': 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand',
  },
  'kafka-topics': {
    '2.7.2': 'kafka.admin.TopicCommand',
    '3.9.1': 'org.apache.kafka.tools.TopicCommand',
  },
  'kafka-consumer-groups': {
    '2.7.2': 'kafka.admin.ConsumerGroupCommand',
    '3.9.1': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  },
  'kafka-broker-api-versions': {
    '2.7.2': 'kafka.admin.BrokerApiVersionsCommand',
    '3.9.1': 'kafka.admin.BrokerApiVersionsCommand',
  },
};

export function toolClass(tool: string, version: KafkaVersion): string {
  const byVersion = TOOL_CLASSES[tool];
  if (!byVersion)
    throw new Error(`unknown Kafka tool ${tool}; known: ${Object.keys(TOOL_CLASSES).join(', ')}`);
  return byVersion[version];
}

/**
 * A Java client configuration for the cluster: the client keystore kafka-warden issued, its
 * truststore, hostname verification on, and SASL/PLAIN when `sasl` is given.
 */
export function writeClientProperties(
  file: string,
  material: ClientMaterial,
  options: { protocol: 'SSL' | 'SASL_SSL'; sasl?: { username: string; password: string } },
): string {
  const lines = [
    `security.protocol=${options.protocol}`,
    `ssl.keystore.type=PKCS12`,
    `ssl.keystore.location=${material.keystorePath}`,
    `ssl.keystore.password=${material.keystorePassword}`,
    `ssl.key.password=${material.keystorePassword}`,
    `ssl.truststore.type=PKCS12`,
    `ssl.truststore.location=${material.truststorePath}`,
    `ssl.truststore.password=${material.truststorePassword}`,
    'ssl.endpoint.identification.algorithm=https',
  ];
  if (options.sasl) {
    lines.push(
      'sasl.mechanism=PLAIN',
      `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${options.sasl.username}" password="${options.sasl.password}";`,
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

export function runJavaClass(options: {
  java: string;
  classPath: string;
  className: string;
  args: string[];
  hostsFile: string;
  log4jConfig: string;
  timeoutMs: number;
}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      options.java,
      [
        ...words(SMALL_HEAP),
        ...FAST_START_JVM,
        `-Djdk.net.hosts.file=${options.hostsFile}`,
        `-Dlog4j.configuration=file:${options.log4jConfig}`,
        '-cp',
        options.classPath,
        options.className,
        ...options.args,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(
        new Error(
          `${options.className} did not finish within ${options.timeoutMs} ms:\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
