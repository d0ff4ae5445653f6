/**
 * The JVM programs scripts/install-kafka.sh puts in the cache. Missing ones fail the tier with the
 * command that installs them: nothing here is ever skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const KAFKA_VERSIONS = ['2.7.2', '3.9.1'] as const;
export type KafkaVersion = (typeof KAFKA_VERSIONS)[number];

export function kafkaCacheDir(): string {
  return process.env.KW_KAFKA_CACHE ?? path.join(homedir(), '.cache', 'kafka-warden', 'kafka');
}

const INSTALL_HINT = 'run: bash scripts/install-kafka.sh';

/** The directory holding Kafka `version`'s class path (kafka_2.13, ZooKeeper, logging). */
export function kafkaLibs(version: KafkaVersion): string {
  const dir = path.join(kafkaCacheDir(), version, 'libs');
  if (!existsSync(path.join(dir, `kafka_2.13-${version}.jar`))) {
    throw new Error(`Kafka ${version} is not installed in ${dir}; ${INSTALL_HINT}`);
  }
  return dir;
}

/** `-cp` value: every jar of the directory (the JVM expands `dir/*`), as kafka-run-class builds it. */
export function classPath(libs: string): string {
  return path.join(libs, '*');
}

export function jmxExporterJar(): string {
  const jar = path.join(kafkaCacheDir(), 'jmx-exporter', 'jmx_prometheus_httpserver.jar');
  if (!existsSync(jar)) {
    throw new Error(`the JMX exporter is not installed (${jar}); ${INSTALL_HINT}`);
  }
  return jar;
}

let checkedJava: string | null = null;

/** `java` on PATH, at least 17 (jdk.net.hosts.file needs 9+; the tier is specified on 17). */
export function javaBinary(): string {
  if (checkedJava) return checkedJava;
  const result = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 30_000 });
  if (result.error || result.status !== 0) {
    throw new Error(
      `java not found or not working on PATH: the Kafka tier needs a JDK 17 (apt-get install openjdk-17-jdk-headless)${result.error ? `: ${result.error.message}` : ''}`,
    );
  }
  const major = /version "(\d+)/.exec(result.stderr)?.[1];
  if (major === undefined || Number(major) < 17) {
    throw new Error(
      `the Kafka tier needs Java 17 or later, found: ${result.stderr.split('\n')[0]}`,
    );
  }
  checkedJava = 'java';
  return checkedJava;
}
