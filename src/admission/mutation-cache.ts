/**
 * Memoised mutation. The StatefulSet controller creates every pod of a StatefulSet from one
 * template, so its pods differ only in fields the transformation neither reads nor writes (name,
 * uid, the pod-name and pod-index labels, hostname...) and in the name the API server's
 * ServiceAccount admission gives the token volume (kube-api-access-<random>). The first are left
 * out of the key. The token volume's name is replaced by a placeholder in the key and in the
 * remembered patch (which mounts the token into the containers kafka-warden adds), and this pod's
 * name is put back into the patch it gets. A pod with the same remaining content gets the patch
 * proven to apply to a pod that differs from it only there. Bounded in entries and bytes (least
 * recently used goes first) and scoped to one configuration object, so a new configuration never meets an old answer.
 */
import type { WardenConfig } from '../core/config';
import { isRecord, POD_NAME_LABEL, type KubeObject, type PodSpec } from '../core/k8s-types';
import { platformTokenVolume } from '../core/pod-edit';
import { mutate, type MutationOptions, type MutationResult } from './mutate';
import { keepAnswer, withPatchText } from './answer-bytes';
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
  POD_NAME_LABEL,
  'apps.kubernetes.io/pod-index',
  'controller-revision-hash',
]);

/**
 * Stands for the token volume's name, quotes included, in keys. JSON text never holds a raw NUL
 * (JSON.stringify escapes it), so no pod's own content can look like this.
 */
const TOKEN_VOLUME = '\u0000token-volume\u0000';

interface Entry {
  /** The answer as the first pod got it, served as it is to a pod with the same token volume. */
  result: MutationResult;
  tokenVolume: string | undefined;
  /**
   * When the patch names the token volume: its JSON text split where the quoted name stood, to be
   * joined with another pod's.
   */
  patchParts?: string[];
  /** What keeping it costs, roughly: its key and its patch in the forms kept. */
  bytes: number;
}

/**
 * A pod's content is its author's to choose (a 1 MB environment value is a valid pod), so the
 * cache is bounded in bytes as well as entries: a real StatefulSet pod keeps ~60 KB (key, patch,
 * its JSON and the serialised answer), and a pod far above that is answered but not kept.
 */
export const MUTATION_CACHE_LIMITS = {
  entries: 256,
  bytes: 24 * 1024 * 1024,
  entryBytes: 512 * 1024,
};

export class MutationCache {
  private readonly entries = new Map<string, Entry>();
  private keptBytes = 0;

  constructor(readonly limits: typeof MUTATION_CACHE_LIMITS = MUTATION_CACHE_LIMITS) {}

  get size(): number {
    return this.entries.size;
  }

  /** The estimated bytes the kept answers hold. */
  get bytes(): number {
    return this.keptBytes;
  }

  mutate(request: AdmissionRequest, options: MutationOptions): MutationResult {
    const object = request.object;
    // Only pods a StatefulSet owns are remembered: the transformation names the cluster after that
    // owner, and otherwise after the pod itself, which the key leaves out.
    // The review's object is any JSON a client sent (the API server sends typed objects; anyone
    // else who reaches the port, anything): its types are checked before they are relied on.
    const owners: unknown = object?.metadata?.ownerReferences;
    if (
      !object ||
      request.kind.kind !== 'Pod' ||
      !Array.isArray(owners) ||
      !owners.some((owner) => isRecord(owner) && owner.kind === 'StatefulSet')
    ) {
      return mutate(request, options);
    }
    const tokenVolume = platformTokenVolume(object.spec as PodSpec | undefined);
    const key = cacheKey(request, object, options, tokenVolume);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return answerFor(hit, tokenVolume);
    }
    const result = mutate(request, options);
    // A failed-open answer or a notice names the pod in its warning: not reusable for another pod.
    if (result.result === 'failed-open' || result.warnings) return result;
    const entry = remember(result, tokenVolume, key.length);
    if (!entry || entry.bytes > this.limits.entryBytes) return result;
    this.entries.set(key, entry);
    this.keptBytes += entry.bytes;
    while (this.entries.size > this.limits.entries || this.keptBytes > this.limits.bytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldestKey);
      this.keptBytes -= oldest.bytes;
    }
    return result;
  }
}

/** The entry for a fresh answer, or undefined when the answer cannot serve other pods. */
function remember(
  result: MutationResult,
  tokenVolume: string | undefined,
  keyBytes: number,
): Entry | undefined {
  const operations = result.patch?.length ?? 0;
  const patchJson = operations > 0 ? JSON.stringify(result.patch) : undefined;
  keepAnswer(result, patchJson === undefined ? undefined : { json: patchJson, operations });
  // The patch is kept as objects, as JSON text (or its parts) and base64 in the serialised answer.
  const bytes = keyBytes + 4 * (patchJson?.length ?? 0) + 1024;
  if (!patchJson || tokenVolume === undefined || !patchJson.includes(tokenVolume)) {
    return { result, tokenVolume, bytes };
  }
  const patchParts = patchJson.split(JSON.stringify(tokenVolume));
  // A name inside a longer string (not a whole value) could not be put back faithfully.
  if (patchParts.some((part) => part.includes(tokenVolume))) return undefined;
  return { result, tokenVolume, patchParts, bytes };
}

/**
 * The kept answer for this pod: as it is, or with this pod's token volume in its patch (as text:
 * answer-bytes.ts serialises it without parsing it).
 */
function answerFor(entry: Entry, tokenVolume: string | undefined): MutationResult {
  const { result, patchParts } = entry;
  if (patchParts === undefined || tokenVolume === entry.tokenVolume) return result;
  const json = patchParts.join(JSON.stringify(tokenVolume));
  return withPatchText(result, { json, operations: result.patch?.length ?? 0 });
}

function cacheKey(
  request: AdmissionRequest,
  object: KubeObject,
  options: MutationOptions,
  tokenVolume: string | undefined,
): string {
  const metadata = { ...object.metadata };
  for (const field of POD_SPECIFIC_METADATA) delete metadata[field];
  // Labels that are not a mapping stay as they are in the key: Object.entries of a 1 MB string
  // made a million entries (seconds and hundreds of MB for one request).
  if (isRecord(metadata.labels)) {
    metadata.labels = Object.fromEntries(
      Object.entries(metadata.labels).filter(([label]) => !POD_SPECIFIC_LABELS.has(label)),
    );
  }
  const spec = { ...(object.spec as Record<string, unknown>) };
  delete spec.hostname;
  // The text itself is the key: a Map hashes strings natively, faster than a digest of them.
  const key = JSON.stringify([
    request.operation,
    options.mutateStatefulSets,
    { ...object, metadata, spec },
  ]);
  return tokenVolume === undefined
    ? key
    : key.replaceAll(JSON.stringify(tokenVolume), TOKEN_VOLUME);
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
