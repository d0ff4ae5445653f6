/**
 * Memoised mutation. The StatefulSet controller creates every pod of a StatefulSet from one
 * template, so pods differ only in fields the transformation neither reads nor writes (name, uid,
 * the pod-name and pod-index labels, hostname...). Those fields are left out of the key; a pod
 * with the same remaining content gets the same patch, which was proven to apply to a pod that
 * differs from it only there. Bounded (least recently used goes first) and scoped to one
 * configuration object, so a new configuration never meets an old answer.
 */
import { createHash } from 'node:crypto';
import type { WardenConfig } from '../core/config';
import type { KubeObject } from '../core/k8s-types';
import { mutate, type MutationOptions, type MutationResult } from './mutate';
import type { AdmissionRequest } from './review';

const POD_SPECIFIC_METADATA = new Set([
  'name',
  'generateName',
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'managedFields',
]);
const POD_SPECIFIC_LABELS = new Set([
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'controller-revision-hash',
]);

export class MutationCache {
  private readonly entries = new Map<string, MutationResult>();

  constructor(readonly capacity = 512) {}

  get size(): number {
    return this.entries.size;
  }

  mutate(request: AdmissionRequest, options: MutationOptions): MutationResult {
    const object = request.object;
    // Only pod CREATE/UPDATE with an owner is worth remembering; the key needs the owner because
    // the transformation falls back to the pod name without one.
    if (request.kind.kind !== 'Pod' || !object || !object.metadata?.ownerReferences?.length) {
      return mutate(request, options);
    }
    const key = cacheKey(request, object, options);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const result = mutate(request, options);
    // A failed-open answer names the pod in its warning: not reusable for another pod.
    if (result.result === 'failed-open') return result;
    this.entries.set(key, result);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return result;
  }
}

function cacheKey(request: AdmissionRequest, object: KubeObject, options: MutationOptions): string {
  const metadata = { ...object.metadata };
  for (const field of POD_SPECIFIC_METADATA) delete metadata[field];
  if (metadata.labels) {
    metadata.labels = Object.fromEntries(
      Object.entries(metadata.labels).filter(([label]) => !POD_SPECIFIC_LABELS.has(label)),
    );
  }
  const spec = { ...(object.spec as Record<string, unknown>) };
  delete spec.hostname;
  const text = JSON.stringify([
    request.operation,
    options.mutateStatefulSets,
    { ...object, metadata, spec },
  ]);
  return createHash('sha256').update(text).digest('base64');
}

/** One cache per configuration object: a reloaded configuration starts empty. */
const caches = new WeakMap<WardenConfig, MutationCache>();

export function cacheFor(config: WardenConfig): MutationCache {
  let cache = caches.get(config);
  if (!cache) {
    cache = new MutationCache();
    caches.set(config, cache);
  }
  return cache;
}
