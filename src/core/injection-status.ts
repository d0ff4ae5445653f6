/**
 * The record of what kafka-warden injected into a pod template, kept in an annotation as Istio's
 * injector keeps `sidecar.istio.io/status`. Re-injection with a changed configuration uses it to
 * remove what the new configuration no longer injects, instead of leaving it behind.
 */
import {
  isRecord,
  type Container,
  type ContainerPort,
  type ObjectMeta,
  type PodSpec,
} from './k8s-types';
import { getEnv, removeByName, removeEnv, setEnv } from './pod-edit';

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

export class InjectionRecorder {
  readonly status: InjectionStatus;

  constructor(
    role: string,
    private readonly previous: InjectionStatus | null = null,
  ) {
    this.status = {
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

  /** Sets an env var as kafka-warden's, remembering the value it had before kafka-warden owned it. */
  setEnv(container: Container, name: string, value: string): void {
    const original =
      this.previous?.originals?.env[container.name]?.[name] ??
      (this.previous?.env[container.name]?.includes(name) ? undefined : getEnv(container, name));
    if (original !== undefined) (this.status.originals.env[container.name] ??= {})[name] = original;
    setEnv(container, name, value);
    this.env(container.name, name);
  }

  /**
   * Appends `option` to a whitespace-separated options variable (KAFKA_OPTS), keeping what the
   * container had before kafka-warden owned it. Re-injection starts again from that original, so
   * the option is never appended twice, and removal restores the original exactly.
   */
  appendEnvOption(container: Container, name: string, option: string): void {
    const original = this.originalEnv(container, name, option);
    if (original !== undefined) (this.status.originals.env[container.name] ??= {})[name] = original;
    setEnv(container, name, original?.trim() ? `${original} ${option}` : option);
    this.env(container.name, name);
  }

  /**
   * The value an env var had before kafka-warden owned it. Without a record (a first injection, or
   * an annotation someone removed) that is the current value, less `option` if it already holds it.
   */
  originalEnv(container: Container, name: string, option?: string): string | undefined {
    if (this.previous?.env[container.name]?.includes(name)) {
      return this.previous.originals?.env[container.name]?.[name];
    }
    const current = getEnv(container, name);
    if (current === undefined || option === undefined) return current;
    const tokens = current.split(/\s+/).filter(Boolean);
    if (!tokens.includes(option)) return current;
    const rest = tokens.filter((t) => t !== option);
    return rest.length > 0 ? rest.join(' ') : undefined;
  }

  /** Sets a pod template annotation as kafka-warden's, remembering a value it overwrote. */
  setAnnotation(meta: ObjectMeta, name: string, value: string): void {
    const original =
      this.previous?.originals?.annotations?.[name] ??
      (this.previous?.annotations?.includes(name) ? undefined : meta.annotations?.[name]);
    if (original !== undefined) (this.status.originals.annotations ??= {})[name] = original;
    (meta.annotations ??= {})[name] = value;
    addUnique((this.status.annotations ??= []), name);
  }

  /**
   * Puts a container in place of one with the same name, remembering the one it replaced (as
   * `recordable` gives it: what is worth restoring).
   */
  replaceContainer(
    list: Container[],
    container: Container,
    recordable: (original: Container) => Container = (original) => original,
  ): void {
    const index = list.findIndex((c) => c.name === container.name);
    const replaced = list[index];
    const original =
      this.previous?.originals?.containers?.[container.name] ??
      (replaced && !this.previous?.containers.includes(container.name)
        ? recordable(replaced)
        : undefined);
    if (original) this.status.originals.containers[container.name] = original;
    if (index === -1) list.push(container);
    else list[index] = container;
    this.container(container.name);
  }

  port(container: string, name: string): void {
    addUnique((this.status.ports[container] ??= []), name);
  }

  /** Removes container ports, remembering them so a later configuration can restore them. */
  removePorts(container: Container, remove: (port: ContainerPort) => boolean): void {
    const carried = this.previous?.originals?.removedPorts?.[container.name] ?? [];
    const removed = [
      ...carried,
      ...(container.ports ?? []).flatMap((port, at) => (remove(port) ? [{ at, port }] : [])),
    ];
    if (removed.length > 0) this.status.originals.removedPorts[container.name] = removed;
    if (container.ports) container.ports = container.ports.filter((p) => !remove(p));
  }

  /** True when the previous injection set this env var. */
  ownedBefore(container: string, name: string): boolean {
    return this.previous?.env[container]?.includes(name) ?? false;
  }

  setCommand(container: Container, command: string[]): void {
    const original =
      this.previous?.originals?.command[container.name] ??
      (this.previous ? undefined : container.command);
    if (original !== undefined) this.status.originals.command[container.name] = [...original];
    container.command = command;
  }

  container(name: string): void {
    addUnique(this.status.containers, name);
  }
  initContainer(name: string): void {
    addUnique(this.status.initContainers, name);
  }
  volume(name: string): void {
    addUnique(this.status.volumes, name);
  }
  env(container: string, name: string): void {
    addUnique((this.status.env[container] ??= []), name);
  }
  mount(container: string, volume: string): void {
    addUnique((this.status.mounts[container] ??= []), volume);
  }
  readinessProbe(container: string): void {
    addUnique(this.status.readinessProbes, container);
  }
}

function addUnique(list: string[], name: string): void {
  if (!list.includes(name)) list.push(name);
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
