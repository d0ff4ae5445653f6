/**
 * The record of what kafka-warden injected into a pod template, kept in an annotation as Istio's
 * injector keeps `sidecar.istio.io/status`. Re-injection with a changed configuration uses it to
 * remove what the new configuration no longer injects, instead of leaving it behind. The record
 * is built by the editor that makes the edits (src/core/pod-editor.ts); this module is its format,
 * and the format of the smaller record a Kafka Service carries under the same annotation.
 */
import {
  isRecord,
  type Container,
  type ContainerPort,
  type ObjectMeta,
  type PodSpec,
  type ServicePort,
} from './k8s-types';
import { removeByName, removeEnv, setEnv } from './pod-edit';

export const STATUS_ANNOTATION = 'kafka-warden.io/status';

export interface InjectionStatus {
  version: 1;
  role: string;
  containers: string[];
  initContainers: string[];
  volumes: string[];
  /** Per container name: env var names set by kafka-warden. */
  env: Record<string, string[]>;
  /** Per container name: volume names mounted by kafka-warden. */
  mounts: Record<string, string[]>;
  /** Containers whose readiness probe kafka-warden set. */
  readinessProbes: string[];
  /** Per container name: names of container ports kafka-warden added. */
  ports: Record<string, string[]>;
  /** Pod template annotations kafka-warden set (absent when none: older records lack it too). */
  annotations?: string[];
  /**
   * Values kafka-warden overwrote (the chart's listener map, bootstrap servers, start command),
   * so that a configuration that stops injecting them restores them instead of deleting them.
   */
  originals: {
    env: Record<string, Record<string, string>>;
    command: Record<string, string[]>;
    /** Container ports kafka-warden removed (the PLAINTEXT port when PLAINTEXT is dropped). */
    removedPorts: Record<string, { at: number; port: ContainerPort }[]>;
    /** Containers kafka-warden replaced (the chart's JMX exporter sidecar). */
    containers: Record<string, Container>;
    /** Pod template annotations kafka-warden overwrote. */
    annotations?: Record<string, string>;
  };
}

/** A record of nothing injected yet, for `role`. */
export function emptyStatus(role: string): InjectionStatus {
  return {
    version: 1,
    role,
    containers: [],
    initContainers: [],
    volumes: [],
    env: {},
    mounts: {},
    readinessProbes: [],
    ports: {},
    originals: { env: {}, command: {}, removedPorts: {}, containers: {} },
  };
}

export function readStatus(meta: ObjectMeta | undefined): InjectionStatus | null {
  const raw = meta?.annotations?.[STATUS_ANNOTATION];
  if (typeof raw !== 'string' || raw === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // A hand-edited or foreign annotation: treat the pod as never injected rather than guess.
    return null;
  }
  // Likewise a record of another shape: re-injection reads every field of it as typed.
  return isInjectionStatus(parsed) ? parsed : null;
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

function isMapOf(value: unknown, item: (v: unknown) => boolean): boolean {
  return isRecord(value) && Object.values(value).every(item);
}

/**
 * The fields re-injection reads, as they are written. Fields older records lack (ports,
 * annotations, originals and some of its parts) may be absent, never of another type.
 */
function isInjectionStatus(value: unknown): value is InjectionStatus {
  if (!isRecord(value) || value.version !== 1 || typeof value.role !== 'string') return false;
  const lists = [value.containers, value.initContainers, value.volumes, value.readinessProbes];
  if (!lists.every(isStringList)) return false;
  if (!isMapOf(value.env, isStringList) || !isMapOf(value.mounts, isStringList)) return false;
  if (value.ports !== undefined && !isMapOf(value.ports, isStringList)) return false;
  if (value.annotations !== undefined && !isStringList(value.annotations)) return false;
  const originals = value.originals;
  if (originals === undefined) return true;
  if (!isRecord(originals)) return false;
  const isString = (v: unknown) => typeof v === 'string';
  const isRemovedPort = (v: unknown) =>
    isRecord(v) && Number.isInteger(v.at) && (v.at as number) >= 0 && isRecord(v.port);
  return (
    isMapOf(originals.env, (v) => isMapOf(v, isString)) &&
    isMapOf(originals.command, isStringList) &&
    (originals.removedPorts === undefined ||
      isMapOf(originals.removedPorts, (v) => Array.isArray(v) && v.every(isRemovedPort))) &&
    (originals.containers === undefined ||
      isMapOf(originals.containers, (v) => isRecord(v) && typeof v.name === 'string')) &&
    (originals.annotations === undefined || isMapOf(originals.annotations, isString))
  );
}

/** Removes what `previous` injected and `current` does not inject any more. */
export function removeStale(
  meta: ObjectMeta,
  spec: PodSpec,
  previous: InjectionStatus | null,
  current: InjectionStatus,
): void {
  if (!previous) return;
  for (const name of previous.annotations ?? []) {
    if (current.annotations?.includes(name) || !meta.annotations) continue;
    const original = previous.originals?.annotations?.[name];
    if (original === undefined) delete meta.annotations[name];
    else meta.annotations[name] = original;
  }
  for (const name of previous.containers.filter((n) => !current.containers.includes(n))) {
    const original = previous.originals?.containers?.[name];
    const index = spec.containers.findIndex((c) => c.name === name);
    if (index === -1) continue;
    if (original) spec.containers[index] = original;
    else spec.containers.splice(index, 1);
  }
  for (const name of previous.initContainers.filter((n) => !current.initContainers.includes(n))) {
    removeByName(spec.initContainers, name);
  }
  for (const name of previous.volumes.filter((n) => !current.volumes.includes(n))) {
    removeByName(spec.volumes, name);
  }
  const all: Container[] = [...spec.containers, ...(spec.initContainers ?? [])];
  for (const container of all) {
    for (const env of previous.env[container.name] ?? []) {
      if (current.env[container.name]?.includes(env)) continue;
      const original = previous.originals?.env[container.name]?.[env];
      if (original === undefined) removeEnv(container, env);
      else setEnv(container, env, original);
    }
    for (const port of previous.ports?.[container.name] ?? []) {
      if (!current.ports[container.name]?.includes(port)) {
        container.ports = container.ports?.filter((p) => p.name !== port) ?? null;
      }
    }
    for (const { at, port } of previous.originals?.removedPorts?.[container.name] ?? []) {
      const stillRemoved = current.originals.removedPorts[container.name]?.some(
        (r) => r.port.containerPort === port.containerPort,
      );
      if (stillRemoved || container.ports?.some((p) => p.containerPort === port.containerPort))
        continue;
      (container.ports ??= []).splice(at, 0, port);
    }
    const command = previous.originals?.command[container.name];
    if (command && !current.originals.command[container.name]) container.command = [...command];
    for (const volume of previous.mounts[container.name] ?? []) {
      if (!current.mounts[container.name]?.includes(volume))
        removeByName(container.volumeMounts, volume);
    }
    if (
      previous.readinessProbes.includes(container.name) &&
      !current.readinessProbes.includes(container.name)
    ) {
      delete container.readinessProbe;
    }
  }
  // Lists that only held kafka-warden's items go away with them, as if never injected.
  if (spec.initContainers?.length === 0) delete spec.initContainers;
  if (spec.volumes?.length === 0) delete spec.volumes;
  for (const container of all) {
    if (container.volumeMounts?.length === 0) delete container.volumeMounts;
    if (container.env?.length === 0) delete container.env;
    if (container.ports?.length === 0) delete container.ports;
  }
}

export function writeStatus(meta: ObjectMeta, status: InjectionStatus): void {
  (meta.annotations ??= {})[STATUS_ANNOTATION] = JSON.stringify(status);
}

/**
 * A Pod's record, without the values kafka-warden replaced. Those are kept so that
 * re-injection under a configuration that stops injecting something restores it; but a Pod's
 * containers, commands, env and ports never change after it is created, so nothing in a Pod is
 * ever restored, and they were the largest part of the record in every answer (bench/README.md,
 * "A lighter injected pod"). The lists of what kafka-warden owns stay: re-injection on
 * reinvocation reads them, and computes this same record again from them. A Pod that came with
 * the originals (from a post-rendered template) keeps them, and its answer stays an empty patch.
 */

export function writeStatusWithoutOriginals(
  meta: ObjectMeta | undefined,
  status: InjectionStatus,
): void {
  const owned: Partial<InjectionStatus> = { ...status };
  delete owned.originals;
  if (meta?.annotations) meta.annotations[STATUS_ANNOTATION] = JSON.stringify(owned);
}

/** Removes a pod template's record (nothing is injected any more). */
export function clearStatus(meta: ObjectMeta): void {
  delete meta.annotations?.[STATUS_ANNOTATION];
}

/**
 * The record on a Kafka Service, under the same annotation: a Service carries no containers, so
 * its record holds only the ports kafka-warden added (by name) and removed (with their position),
 * and whether it set `publishNotReadyAddresses` on a governing Service,
 * for a later configuration to undo first. Read and written only here, beside the pod's record.
 */
export interface ServiceStatus {
  addedPorts: string[];
  removedPorts: { at: number; port: ServicePort }[];
  /** kafka-warden set `publishNotReadyAddresses: true` (it was absent or false). */
  publishedNotReady?: boolean;
}

/** The record on a Service; one that is not JSON, or of another shape (hand-edited), is none. */
export function readServiceStatus(meta: ObjectMeta | undefined): ServiceStatus {
  const raw = meta?.annotations?.[STATUS_ANNOTATION];
  const none: ServiceStatus = { addedPorts: [], removedPorts: [] };
  let parsed: unknown;
  try {
    parsed = raw ? JSON.parse(raw) : {};
  } catch {
    return none;
  }
  if (!isRecord(parsed)) return none;
  const addedPorts = listOf(parsed.addedPorts ?? [], (n): n is string => typeof n === 'string');
  const removedPorts = listOf(
    parsed.removedPorts ?? [],
    (r): r is ServiceStatus['removedPorts'][number] =>
      isRecord(r) && Number.isInteger(r.at) && isRecord(r.port),
  );
  if (!addedPorts || !removedPorts) return none;
  return parsed.publishedNotReady === true
    ? { addedPorts, removedPorts, publishedNotReady: true }
    : { addedPorts, removedPorts };
}

/** Writes a Service's record, or removes it (and an annotation map it leaves empty) when empty. */
export function writeServiceStatus(meta: ObjectMeta, status: ServiceStatus): void {
  if (status.addedPorts.length > 0 || status.removedPorts.length > 0 || status.publishedNotReady) {
    (meta.annotations ??= {})[STATUS_ANNOTATION] = JSON.stringify(status);
  } else if (meta.annotations?.[STATUS_ANNOTATION]) {
    delete meta.annotations[STATUS_ANNOTATION];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
}

function listOf<T>(value: unknown, item: (v: unknown) => v is T): T[] | undefined {
  return Array.isArray(value) && (value as unknown[]).every(item) ? (value as T[]) : undefined;
}
