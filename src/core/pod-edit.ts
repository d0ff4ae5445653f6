/**
 * Small, name-keyed edits on pod specs. Everything kafka-warden injects is keyed by name so that
 * applying the transformation twice, or with a changed configuration, replaces instead of duplicating.
 */
import {
  isRecord,
  type Container,
  type EnvVar,
  type PodSpec,
  type Volume,
  type VolumeMount,
} from './k8s-types';

export function getEnv(container: Container, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

export function hasEnv(container: Container, name: string): boolean {
  return container.env?.some((e) => e.name === name) ?? false;
}

/** Sets a literal env var, in place when it exists (keeping its position), else appended. */
export function setEnv(container: Container, name: string, value: string): void {
  const env = (container.env ??= []);
  const existing = env.find((e) => e.name === name);
  if (existing) {
    if (existing.value === value && existing.valueFrom === undefined) return;
    delete existing.valueFrom;
    existing.value = value;
  } else {
    env.push({ name, value });
  }
}

export function setEnvVar(container: Container, envVar: EnvVar): void {
  const env = (container.env ??= []);
  const index = env.findIndex((e) => e.name === envVar.name);
  if (index === -1) env.push(envVar);
  else env[index] = envVar;
}

export function removeEnv(container: Container, name: string): void {
  if (!container.env) return;
  const index = container.env.findIndex((e) => e.name === name);
  if (index !== -1) container.env.splice(index, 1);
}

export function upsertByName<T extends { name: string }>(list: T[], item: T): void {
  const index = list.findIndex((x) => x.name === item.name);
  if (index === -1) list.push(item);
  else list[index] = item;
}

export function removeByName<T extends { name: string }>(
  list: T[] | null | undefined,
  name: string,
): void {
  if (!list) return;
  const index = list.findIndex((x) => x.name === name);
  if (index !== -1) list.splice(index, 1);
}

export function setVolume(spec: PodSpec, volume: Volume): void {
  upsertByName((spec.volumes ??= []), volume);
}

export function setVolumeMount(container: Container, mount: VolumeMount): void {
  const mounts = (container.volumeMounts ??= []);
  // A mount is identified by where it lands: two mounts at one path would fail pod validation.
  const index = mounts.findIndex((m) => m.mountPath === mount.mountPath || m.name === mount.name);
  if (index === -1) mounts.push(mount);
  else mounts[index] = mount;
}

export function setContainerPort(container: Container, name: string, containerPort: number): void {
  const ports = (container.ports ??= []);
  const existing = ports.find((p) => p.containerPort === containerPort || p.name === name);
  if (existing) {
    existing.name = name;
    existing.containerPort = containerPort;
  } else {
    ports.push({ containerPort, name });
  }
}

/**
 * What the API server and its admission plugins add to every container of a pod: the service
 * account token mount and defaulted fields. A container kafka-warden rebuilds keeps them, so a
 * reinvoked webhook (`reinvocationPolicy: IfNeeded`) answers an empty patch instead of taking them
 * away. A container kafka-warden adds (`before` undefined) gets the token mount the pod's other
 * containers have: ServiceAccount admission runs again after a webhook changed the pod and would
 * add it then, and that change would make the API server call the webhook a second time for
 * every pod.
 */
export function keepPlatformAdditions(
  spec: PodSpec,
  before: Container | undefined,
  rebuilt: Container,
): Container {
  if (!before) return withPodTokenMount(spec, rebuilt);
  const kept: Container = { ...rebuilt };
  for (const field of ['terminationMessagePath', 'terminationMessagePolicy'] as const) {
    if (kept[field] === undefined && before[field] !== undefined) kept[field] = before[field];
  }
  if (kept.ports) {
    kept.ports = kept.ports.map((port) => {
      const same = before.ports?.find((p) => p.containerPort === port.containerPort);
      return port.protocol === undefined && same?.protocol !== undefined
        ? { ...port, protocol: same.protocol }
        : port;
    });
  }
  const tokenMounts = (before.volumeMounts ?? []).filter(
    (mount) =>
      isPlatformTokenMount(mount) &&
      !kept.volumeMounts?.some((m) => m.mountPath === mount.mountPath),
  );
  if (tokenMounts.length > 0) kept.volumeMounts = [...(kept.volumeMounts ?? []), ...tokenMounts];
  return kept;
}

/**
 * How the API server's ServiceAccount admission plugin names and mounts the token volume it adds
 * (plugin/pkg/admission/serviceaccount): the first volume named `kube-api-access-<random>` is its
 * volume, and every container without a mount at the default path gets exactly this mount.
 */
const PLATFORM_TOKEN_VOLUME_PREFIX = 'kube-api-access-';
const PLATFORM_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

function isPlatformTokenMount(mount: VolumeMount): boolean {
  return (
    mount.mountPath === PLATFORM_TOKEN_MOUNT_PATH &&
    mount.name.startsWith(PLATFORM_TOKEN_VOLUME_PREFIX)
  );
}

/**
 * The container as its author wrote it: without the token mount the API server adds. What
 * kafka-warden records of a container it replaced (to restore it later) is the container before
 * admission, and it never names the token volume, whose name is random per pod: the mutation cache
 * shares one answer between such pods. A token the user mounts elsewhere or from a volume of their
 * own is theirs and stays.
 */
export function withoutPlatformTokenMounts(container: Container): Container {
  const mounts = container.volumeMounts;
  if (!mounts?.some(isPlatformTokenMount)) return container;
  const kept = mounts.filter((m) => !isPlatformTokenMount(m));
  const stripped: Container = { ...container, volumeMounts: kept };
  if (kept.length === 0) delete stripped.volumeMounts;
  return stripped;
}

/** What ServiceAccount admission would add to a new container of this pod, added now. */
function withPodTokenMount(spec: PodSpec, container: Container): Container {
  const volume = platformTokenVolume(spec);
  if (
    !volume ||
    spec.automountServiceAccountToken === false ||
    container.volumeMounts?.some((m) => m.mountPath === PLATFORM_TOKEN_MOUNT_PATH)
  )
    return container;
  return {
    ...container,
    volumeMounts: [
      ...(container.volumeMounts ?? []),
      { name: volume, readOnly: true, mountPath: PLATFORM_TOKEN_MOUNT_PATH },
    ],
  };
}

/**
 * The token volume ServiceAccount admission added (`kube-api-access-<random>`), the one name by
 * which otherwise identical pods of a StatefulSet differ in their spec.
 */
export function platformTokenVolume(spec: PodSpec | undefined): string | undefined {
  // Read for the mutation cache's key before anything checked the pod's shape
  // (object-shape.ts): a volume list of another shape has no token volume.
  const volumes: unknown = spec?.volumes;
  if (!Array.isArray(volumes)) return undefined;
  for (const volume of volumes as unknown[]) {
    const name = isRecord(volume) ? volume.name : undefined;
    if (typeof name === 'string' && name.startsWith(PLATFORM_TOKEN_VOLUME_PREFIX)) return name;
  }
  return undefined;
}
