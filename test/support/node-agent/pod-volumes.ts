/**
 * A pod's volumes on disk as the kubelet makes them, under `<podDir>/volumes/<volume>` (the
 * layout the Kafka harness's mount table reads, test/e2e/kafka/harness/volumes.ts):
 *
 * - Secret / ConfigMap: one file per key (or `items` entry), owned by root, mode `items[].mode`,
 *   else `defaultMode`, else 0644. With a pod `fsGroup` the kubelet gives the files that group and
 *   adds group read (pkg/volume SetVolumeOwnership, read-only mask 0440).
 * - emptyDir: an empty directory, mode 0777 (the kubelet's), fsGroup-owned and setgid with fsGroup.
 * - persistentVolumeClaim: a directory per claim under `<agentDir>/claims/<ns>/<claim>`, kept
 *   across pod re-creation (a broker restarted by a roll keeps its log directory), linked in.
 *
 * A missing Secret, ConfigMap or key throws: the kubelet keeps the pod in ContainerCreating.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KubeObject, PodSpec } from '../../../src/core/k8s-types';
import { isRecord } from '../../../src/core/k8s-types';

export class VolumeNotReady extends Error {
  override name = 'VolumeNotReady';
}

interface Projected {
  items?: { key: string; path: string; mode?: number }[];
  defaultMode?: number;
  optional?: boolean;
}

export function materialiseVolumes(options: {
  pod: KubeObject;
  podDir: string;
  claimsDir: string;
  /** Secrets and ConfigMaps of the pod's namespace. */
  objects: KubeObject[];
}): void {
  const spec = options.pod.spec as PodSpec;
  const namespace = options.pod.metadata?.namespace ?? 'default';
  const fsGroup = isRecord(spec.securityContext) ? spec.securityContext.fsGroup : undefined;
  const group = typeof fsGroup === 'number' ? fsGroup : null;
  for (const volume of spec.volumes ?? []) {
    const dir = path.join(options.podDir, 'volumes', volume.name);
    if (existsSync(dir)) continue;
    mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    const claim = isRecord(volume.persistentVolumeClaim) ? volume.persistentVolumeClaim : null;
    if (claim) {
      const claimDir = path.join(options.claimsDir, namespace, String(claim.claimName));
      mkdirSync(claimDir, { recursive: true, mode: 0o755 });
      if (group !== null) ownByGroup(claimDir, group, 0o2775);
      symlinkSync(claimDir, dir);
      continue;
    }
    mkdirSync(dir, { mode: 0o755 });
    const source = volume.secret
      ? {
          kind: 'Secret' as const,
          name: volume.secret.secretName,
          spec: volume.secret as Projected,
        }
      : volume.configMap
        ? {
            kind: 'ConfigMap' as const,
            name: volume.configMap.name,
            spec: volume.configMap as Projected,
          }
        : null;
    if (source === null) {
      // emptyDir (and anything else the tests do not use: an empty directory).
      chmodSync(dir, 0o777);
      if (group !== null) ownByGroup(dir, group, 0o2777);
      continue;
    }
    const object = options.objects.find(
      (o) => o.kind === source.kind && o.metadata?.name === source.name,
    );
    if (!object) {
      if (source.spec.optional === true) continue;
      throw new VolumeNotReady(`volume ${volume.name}: ${source.kind} "${source.name}" not found`);
    }
    const data = dataOf(object, source.kind);
    const items =
      source.spec.items ?? Object.keys(data).map((key) => ({ key, path: key, mode: undefined }));
    for (const item of items) {
      const content = data[item.key];
      if (content === undefined) {
        throw new VolumeNotReady(
          `volume ${volume.name}: couldn't find key ${item.key} in ${source.kind} ${source.name}`,
        );
      }
      const file = path.join(dir, item.path);
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
      writeFileSync(file, content);
      const mode = item.mode ?? source.spec.defaultMode ?? 0o644;
      chownSync(file, 0, 0);
      chmodSync(file, mode);
      if (group !== null) ownByGroup(file, group, mode | 0o440);
    }
  }
}

function ownByGroup(file: string, group: number, mode: number): void {
  chownSync(file, 0, group);
  chmodSync(file, mode);
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
  return data;
}
