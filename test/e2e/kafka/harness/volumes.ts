/**
 * The pod's volumes on the local disk, as the kubelet would set them up: a Secret or ConfigMap
 * volume becomes a directory holding one file per key (or per `items` entry, with `defaultMode`),
 * an emptyDir or a volume claim an empty directory. The mount table then translates container
 * paths (`/etc/kafka/secrets/kafka.keystore.p12`) into host paths, longest mount first.
 * A missing Secret, ConfigMap or key fails as the kubelet fails the pod: it never starts.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Container, KubeObject, PodSpec, Volume } from '../../../../src/core/k8s-types';
import { isRecord } from '../../../../src/core/k8s-types';
import type { ContainerFiles } from './image-contract';

export class VolumeError extends Error {
  override name = 'VolumeError';
}

export interface Mount {
  containerPath: string;
  hostPath: string;
}

export class MountTable implements ContainerFiles {
  constructor(readonly mounts: Mount[]) {
    // Longest first: /etc/kafka/secrets wins over /etc/kafka.
    this.mounts = [...mounts].sort((a, b) => b.containerPath.length - a.containerPath.length);
  }

  /** The host path of a container path, or null when no volume holds it (the image's own files). */
  toHost(containerPath: string): string | null {
    for (const mount of this.mounts) {
      const prefix = mount.containerPath.replace(/\/$/, '');
      if (containerPath === prefix || containerPath.startsWith(`${prefix}/`)) {
        return path.join(mount.hostPath, containerPath.slice(prefix.length));
      }
    }
    return null;
  }

  /** Every mounted container path inside `text` rewritten to its host path. */
  rewrite(text: string): string {
    let out = text;
    for (const mount of this.mounts) {
      const prefix = mount.containerPath.replace(/\/$/, '');
      out = out.replace(
        new RegExp(`${escapeRegExp(prefix)}(?=/|$|[\\s:;,"'])`, 'g'),
        mount.hostPath,
      );
    }
    return out;
  }

  exists(containerPath: string): boolean {
    const host = this.toHost(containerPath);
    return host !== null && existsSync(host);
  }

  read(containerPath: string): string {
    const host = this.toHost(containerPath);
    if (host === null) throw new VolumeError(`${containerPath} is on no volume of the pod`);
    return readFileSync(host, 'utf8');
  }
}

/**
 * Creates `<podDir>/volumes/<volume>` for every volume of the pod (once; containers share them)
 * and returns the mount table of `container`.
 */
export function mountVolumes(options: {
  pod: KubeObject;
  container: Container;
  podDir: string;
  /** Secrets and ConfigMaps of the pod's namespace. */
  objects: KubeObject[];
}): MountTable {
  const spec = options.pod.spec as PodSpec;
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  const mounts: Mount[] = [];
  for (const mount of options.container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) {
      throw new VolumeError(
        `container ${options.container.name}: volumeMount ${mount.name} names no volume of the pod`,
      );
    }
    const hostDir = path.join(options.podDir, 'volumes', mount.name);
    if (!existsSync(hostDir)) {
      mkdirSync(hostDir, { recursive: true });
      project(volume, hostDir, options.objects);
    }
    mounts.push({
      containerPath: mount.mountPath,
      hostPath: mount.subPath ? path.join(hostDir, mount.subPath) : hostDir,
    });
  }
  return new MountTable(mounts);
}

function project(volume: Volume, dir: string, objects: KubeObject[]): void {
  const source = volume.secret
    ? { kind: 'Secret' as const, name: volume.secret.secretName, spec: volume.secret }
    : volume.configMap
      ? { kind: 'ConfigMap' as const, name: volume.configMap.name, spec: volume.configMap }
      : null;
  // emptyDir, persistentVolumeClaim: an empty directory (a fresh claim is an empty volume).
  if (source === null) return;
  const spec = source.spec as {
    items?: { key: string; path: string; mode?: number }[];
    defaultMode?: number;
    optional?: boolean;
  };
  const object = objects.find((o) => o.kind === source.kind && o.metadata?.name === source.name);
  if (!object) {
    if (spec.optional === true) return;
    throw new VolumeError(
      `volume ${volume.name}: ${source.kind} "${source.name}" not found (the kubelet keeps the pod in ContainerCreating)`,
    );
  }
  const data = dataOf(object, source.kind);
  const items = spec.items ?? Object.keys(data).map((key) => ({ key, path: key, mode: undefined }));
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) {
      throw new VolumeError(
        `volume ${volume.name}: couldn't find key ${item.key} in ${source.kind} ${source.name} (the kubelet keeps the pod in ContainerCreating)`,
      );
    }
    const file = path.join(dir, item.path);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    chmodSync(file, item.mode ?? spec.defaultMode ?? 0o644);
  }
}

function dataOf(object: KubeObject, kind: 'Secret' | 'ConfigMap'): Record<string, Buffer> {
  const data: Record<string, Buffer> = {};
  if (isRecord(object.data)) {
    for (const [key, value] of Object.entries(object.data)) {
      if (typeof value === 'string') {
        data[key] = kind === 'Secret' ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8');
      }
    }
  }
  if (isRecord(object.stringData)) {
    for (const [key, value] of Object.entries(object.stringData)) {
      if (typeof value === 'string') data[key] = Buffer.from(value, 'utf8');
    }
  }
  return data;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
