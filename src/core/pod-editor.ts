/**
 * Every edit the transformation makes to a pod (template), each made and recorded in one call. The
 * record (src/core/injection-status.ts) is what lets a later configuration undo what it no longer
 * injects, so an edit without its record would be left behind: here there is no way to make one by
 * accident. The two edits that are deliberately not recorded say so in their names and why.
 */
import { emptyStatus, type InjectionStatus } from './injection-status';
import type {
  Container,
  ContainerPort,
  ObjectMeta,
  PodSpec,
  Probe,
  Volume,
  VolumeMount,
} from './k8s-types';
import { getEnv, setContainerPort, setEnv, setVolume, setVolumeMount } from './pod-edit';
import { setRollGate } from './roll-gate';

export class PodEditor {
  readonly status: InjectionStatus;

  /** `previous`: the record of the injection this one replaces, if any. */
  constructor(
    role: string,
    private readonly previous: InjectionStatus | null = null,
  ) {
    this.status = emptyStatus(role);
  }

  /** Sets an env var as kafka-warden's, remembering the value it had before kafka-warden owned it. */
  setEnv(container: Container, name: string, value: string): void {
    const original =
      this.previous?.originals?.env[container.name]?.[name] ??
      (this.previous?.env[container.name]?.includes(name) ? undefined : getEnv(container, name));
    if (original !== undefined) (this.status.originals.env[container.name] ??= {})[name] = original;
    setEnv(container, name, value);
    this.recordEnv(container.name, name);
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
    this.recordEnv(container.name, name);
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

  /** True when the previous injection set this env var. */
  ownedBefore(container: string, name: string): boolean {
    return this.previous?.env[container]?.includes(name) ?? false;
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
   * Sets an annotation the chart itself sets on the pods kafka-warden injects into (cp-kafka's and
   * cp-zookeeper's `prometheus.io/*`), to point at kafka-warden's exporter. Not recorded: the
   * annotation is the chart's, and a configuration without metrics leaves it as it is rather than
   * taking the chart's own annotation away.
   */
  setChartAnnotation(meta: ObjectMeta, name: string, value: string): void {
    (meta.annotations ??= {})[name] = value;
  }

  /** Replaces the container's command, remembering the one kafka-warden first replaced. */
  setCommand(container: Container, command: string[]): void {
    const original =
      this.previous?.originals?.command[container.name] ??
      (this.previous ? undefined : container.command);
    if (original !== undefined) this.status.originals.command[container.name] = [...original];
    container.command = command;
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
    addUnique(this.status.containers, container.name);
  }

  /** Adds or replaces an init container of kafka-warden's, built from the one in place (if any). */
  setInitContainer(
    spec: PodSpec,
    name: string,
    build: (existing: Container | undefined) => Container,
  ): void {
    const inits = (spec.initContainers ??= []);
    const index = inits.findIndex((c) => c.name === name);
    if (index === -1) inits.push(build(undefined));
    else inits[index] = build(inits[index]);
    addUnique(this.status.initContainers, name);
  }

  /** Adds or replaces a pod volume of kafka-warden's. */
  setVolume(spec: PodSpec, volume: Volume): void {
    setVolume(spec, volume);
    addUnique(this.status.volumes, volume.name);
  }

  /** Mounts a volume of kafka-warden's into a container. */
  mountVolume(container: Container, mount: VolumeMount): void {
    setVolumeMount(container, mount);
    addUnique((this.status.mounts[container.name] ??= []), mount.name);
  }

  /**
   * Mounts one of the chart's own volumes where the chart should have (its `datadir-N` emptyDirs
   * where KAFKA_LOG_DIRS expects them). Not recorded: the fix repairs the chart's pod rather than
   * adding to it, and undoing it would send the broker's logs back into the container's own
   * filesystem.
   */
  mountChartVolume(container: Container, mount: VolumeMount): void {
    setVolumeMount(container, mount);
  }

  /**
   * Adds or removes the broker-in-sync readiness gate and its label (src/core/roll-gate.ts). Not
   * recorded: both carry kafka-warden's own names, so any later configuration finds and removes
   * exactly kafka-warden's entry without a record, even on a pod whose record was lost.
   */
  setRollGate(meta: ObjectMeta, spec: PodSpec, enabled: boolean): void {
    setRollGate(meta, spec, enabled);
  }

  /** Adds a named container port of kafka-warden's (or renames the one at that port). */
  setContainerPort(container: Container, name: string, containerPort: number): void {
    setContainerPort(container, name, containerPort);
    addUnique((this.status.ports[container.name] ??= []), name);
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

  /** Sets the container's readiness probe as kafka-warden's. */
  setReadinessProbe(container: Container, probe: Probe): void {
    container.readinessProbe = probe;
    addUnique(this.status.readinessProbes, container.name);
  }

  private recordEnv(container: string, name: string): void {
    addUnique((this.status.env[container] ??= []), name);
  }
}

function addUnique(list: string[], name: string): void {
  if (!list.includes(name)) list.push(name);
}
