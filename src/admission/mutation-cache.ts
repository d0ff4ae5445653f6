/**
 * Memoised mutation. The StatefulSet controller creates every pod of a StatefulSet from one
 * template, so pods differ only in fields the transformation neither reads nor writes (name, uid,
 * the pod-name and pod-index labels, hostname...) and in the name the API server's ServiceAccount
 * admission gives the token volume (kube-api-access-<random>), which the transformation only
 * matches mounts against. Those fields are left out of the key (the token volume's name is
 * replaced by a placeholder); a pod with the same remaining content gets the same patch, which was
 * proven to apply to a pod that differs from it only there. A patch that names the token volume
 * would be wrong for the next pod, so such an answer is never shared. Bounded (least recently used
 * goes first) and scoped to one configuration object, so a new configuration never meets an old
 * answer.
 */
import type { WardenConfig } from '../core/config';
import type { KubeObject, PodSpec } from '../core/k8s-types';
import { serviceAccountTokenVolumes } from '../core/pod-edit';
import { mutate, type MutationOptions, type MutationResult } from './mutate';
import { serialiseAnswer, type AdmissionRequest } from './review';

/** JSON text never holds a raw NUL (JSON.stringify escapes it): no pod's key can contain this. */
const TOKEN_VOLUME_PLACEHOLDER = '\u0000token-volume\u0000';

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

  /** 256 pods of ~15 KB of JSON each: a few MiB at most. */
  constructor(readonly capacity = 256) {}

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
    const tokenVolumes = serviceAccountTokenVolumes(object.spec as PodSpec | undefined);
    const key = cacheKey(request, object, options, tokenVolumes);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const result = mutate(request, options);
    // A failed-open answer names the pod in its warning: not reusable for another pod.
    if (result.result === 'failed-open') return result;
    if (result.patch) {
      const text = JSON.stringify(result.patch);
      if (tokenVolumes.some((name) => text.includes(name))) return result;
    }
    result.serialised = serialiseAnswer(result);
    this.entries.set(key, result);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return result;
  }
}

function cacheKey(
  request: AdmissionRequest,
  object: KubeObject,
  options: MutationOptions,
  tokenVolumes: readonly string[],
): string {
  const metadata = { ...object.metadata };
  for (const field of POD_SPECIFIC_METADATA) delete metadata[field];
  if (metadata.labels) {
    metadata.labels = Object.fromEntries(
      Object.entries(metadata.labels).filter(([label]) => !POD_SPECIFIC_LABELS.has(label)),
    );
  }
  const spec = { ...(object.spec as Record<string, unknown>) };
  delete spec.hostname;
  // The text itself is the key: a Map hashes strings natively, faster than a digest of them.
  let key = JSON.stringify([
    request.operation,
    options.mutateStatefulSets,
    { ...object, metadata, spec },
  ]);
  for (const name of tokenVolumes) key = key.replaceAll(`"${name}"`, TOKEN_VOLUME_PLACEHOLDER);
  return key;
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
