/**
 * The broker pod's other containers. Init containers run first, for real, with /bin/sh (kafka-warden's
 * init container writes the JMX exporter configuration into an emptyDir); the exporter sidecar
 * becomes a local `java -jar jmx_prometheus_httpserver.jar`, its command otherwise as rendered.
 */
import { spawnSync } from 'node:child_process';
import type { Container, KubeObject, PodSpec } from '../../../../src/core/k8s-types';
import { resolveContainerEnv, type PodStatus } from './pod-env';
import { SMALL_HEAP, words, type Substitution } from './substitutions';
import { mountVolumes, type MountTable } from './volumes';

const SHELLS = new Set(['sh', '/bin/sh', 'bash', '/bin/bash']);

export class ContainerError extends Error {
  override name = 'ContainerError';
}

interface PodFiles {
  pod: KubeObject;
  podDir: string;
  objects: KubeObject[];
  status: PodStatus;
}

/**
 * Runs every init container to completion, in order. Container paths in the command text are
 * rewritten to the volumes' host directories (the one substitution: there is no container root).
 */
export function runInitContainers(options: PodFiles): Substitution[] {
  const substitutions: Substitution[] = [];
  for (const container of (options.pod.spec as PodSpec).initContainers ?? []) {
    const mounts = mountVolumes({ ...options, container });
    const env = resolveContainerEnv({ ...options, container });
    const [shell, ...args] = [...(container.command ?? []), ...(container.args ?? [])];
    if (!SHELLS.has(shell ?? '')) {
      throw new ContainerError(
        `init container ${container.name}: the harness runs shell commands only, not "${shell}"`,
      );
    }
    const rewritten = args.map((arg) => mounts.rewrite(arg));
    substitutions.push(
      ...args
        .map((arg, i): Substitution => ({
          what: `init container ${container.name} command`,
          from: arg,
          to: rewritten[i] as string,
          why: 'container paths on pod volumes, at their host directories',
        }))
        .filter((s) => s.from !== s.to),
    );
    const result = spawnSync('/bin/sh', rewritten, {
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        ...env,
        HOSTNAME: options.pod.metadata?.name ?? '',
      },
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (result.error) throw result.error;
    if (result.status !== 0) {
      throw new ContainerError(
        `init container ${container.name} exited ${result.status}:\n${result.stderr}`,
      );
    }
  }
  return substitutions;
}

export interface ExporterCommand {
  container: Container;
  mounts: MountTable;
  /** java's arguments. */
  args: string[];
  /** The configuration file the exporter reads, on the host. */
  configFile: string;
  /** `http://<pod address>:<port>/metrics`. */
  metricsUrl: string;
  substitutions: Substitution[];
}

/** Java 8 options the sidecar image used that Java 17 refuses or turns into "all of RAM". */
const JAVA8_ONLY = new Set([
  '-XX:+UseCGroupMemoryLimitForHeap',
  '-XX:+UnlockExperimentalVMOptions',
  '-XX:MaxRAMFraction=1',
]);

/**
 * The JMX exporter sidecar (the container running `jmx_prometheus_httpserver.jar`), or null when
 * the pod has none.
 */
export function exporterCommand(
  options: PodFiles & { address: string; exporterJar: string },
): ExporterCommand | null {
  const container = (options.pod.spec as PodSpec).containers.find((c) =>
    (c.command ?? []).some((arg) => arg.includes('jmx_prometheus_httpserver')),
  );
  if (!container) return null;
  const mounts = mountVolumes({ ...options, container });
  const command = [...(container.command ?? []), ...(container.args ?? [])];
  const jarAt = command.findIndex((arg) => arg.includes('jmx_prometheus_httpserver'));
  const [portArg, configArg] = command.slice(jarAt + 1);
  if (command[0] !== 'java' || command[jarAt - 1] !== '-jar' || !portArg || !configArg) {
    throw new ContainerError(
      `container ${container.name}: expected "java … -jar jmx_prometheus_httpserver.jar PORT CONFIG", got: ${command.join(' ')}`,
    );
  }
  const configFile = mounts.toHost(configArg);
  if (configFile === null) {
    throw new ContainerError(
      `container ${container.name}: ${configArg} is on no volume of the pod`,
    );
  }
  const port = portArg.includes(':') ? portArg.slice(portArg.lastIndexOf(':') + 1) : portArg;
  const bind = `${options.address}:${port}`;
  const jvmOptions = command.slice(1, jarAt - 1).filter((arg) => !JAVA8_ONLY.has(arg));
  const substitutions: Substitution[] = [
    {
      what: 'exporter JVM options',
      from: command.slice(1, jarAt - 1).join(' '),
      to: [...jvmOptions, ...words(SMALL_HEAP)].join(' '),
      why: 'the sidecar image ran Java 8: -XX:+UseCGroupMemoryLimitForHeap is gone in Java 11+ (the JVM refuses to start) and MaxRAMFraction=1 would allow all of RAM; a small heap instead',
    },
    {
      what: 'exporter jar',
      from: command[jarAt] as string,
      to: options.exporterJar,
      why: 'the jar from Maven Central in place of the one in the sidecar image',
    },
    {
      what: 'exporter listen address',
      from: portArg,
      to: bind,
      why: 'each pod serves metrics on its own address',
    },
    {
      what: 'exporter configuration path',
      from: configArg,
      to: configFile,
      why: 'a container path on a pod volume, at its host directory',
    },
  ];
  return {
    container,
    mounts,
    args: [...jvmOptions, ...words(SMALL_HEAP), '-jar', options.exporterJar, bind, configFile],
    configFile,
    metricsUrl: `http://${bind}/metrics`,
    substitutions,
  };
}
