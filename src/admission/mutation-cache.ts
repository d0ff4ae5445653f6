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
import { isRecord, type PodSpec } from '../core/k8s-types';
import { platformTokenVolume } from '../core/pod-edit';
import { mutate, type MutationOptions, type MutationResult } from './mutate';
import { keepAnswer, withPatchBytes } from './answer-bytes';
import type { AdmissionRequest } from './review';
import { cacheKey, keyedMetadata, sameCacheKey, type KeyedPod } from './cache-key';

interface Entry {
  /** The answer as the first pod got it, served as it is to a pod with the same token volume. */
  result: MutationResult;
  tokenVolume: string | undefined;
  /**
   * When the patch names the token volume: the UTF-8 bytes of its JSON text split where the quoted
   * name stood, to be joined with another pod's (as bytes: base64 encodes bytes, so an answer for
   * another pod's token writes no joined text and encodes none to UTF-8 again).
   */
  patchParts?: Buffer[];
  /**
   * A pod this entry answered after its key was written (never one patched in place: mutate()
   * patches only on a miss), less the metadata left out of keys: the fast path compares the next
   * pod of its StatefulSet with it (cache-key.ts, sameCacheKey) instead of writing that pod's key.
   */
  example?: KeyedPod;
  /** What keeping it costs, roughly: its key, its example and its patch in the forms kept. */
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
  /** Per owning StatefulSet, the key of the entry that last answered one of its pods. */
  private readonly recent = new Map<string, string>();

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
    const owner = Array.isArray(owners)
      ? (owners as unknown[]).find((o) => isRecord(o) && o.kind === 'StatefulSet')
      : undefined;
    if (!object || request.kind.kind !== 'Pod' || !isRecord(owner)) {
      return mutate(request, options);
    }
    const pod: KeyedPod = {
      operation: request.operation,
      mutateStatefulSets: options.mutateStatefulSets,
      object,
      tokenVolume: platformTokenVolume(object.spec as PodSpec | undefined),
    };
    // The key, or the fast path's proof that it is that of the entry which answered this pod's
    // StatefulSet last.
    const ownerKey = JSON.stringify([object.metadata?.namespace, owner.name, owner.uid]);
    const recentKey = this.recent.get(ownerKey);
    const recent = recentKey === undefined ? undefined : this.entries.get(recentKey);
    const key =
      recent?.example && sameCacheKey(pod, recent.example) ? (recentKey as string) : cacheKey(pod);
    const hit = key === recentKey ? recent : this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      if (recentKey !== key) this.rememberRecent(ownerKey, key);
      const answer = answerFor(hit, pod.tokenVolume);
      if (!hit.example) this.keepExample(hit, pod, key.length);
      return answer;
    }
    const result = mutate(request, options);
    // A failed-open answer or a notice names the pod in its warning: not reusable for another pod.
    if (result.result === 'failed-open' || result.warnings) return result;
    const entry = remember(result, pod.tokenVolume, key.length);
    if (!entry || entry.bytes > this.limits.entryBytes) return result;
    this.entries.set(key, entry);
    this.keptBytes += entry.bytes;
    this.evictOverLimits();
    return result;
  }

  /** As many StatefulSets as entries: the oldest goes first. */
  private rememberRecent(ownerKey: string, key: string): void {
    this.recent.delete(ownerKey);
    this.recent.set(ownerKey, key);
    if (this.recent.size > this.limits.entries) {
      this.recent.delete(this.recent.keys().next().value as string);
    }
  }

  /** The pod without what keys leave out of its metadata; counted as large as its key. */
  private keepExample(entry: Entry, pod: KeyedPod, keyBytes: number): void {
    entry.example = { ...pod, object: { ...pod.object, metadata: keyedMetadata(pod.object) } };
    entry.bytes += keyBytes;
    this.keptBytes += keyBytes;
    this.evictOverLimits();
  }

  private evictOverLimits(): void {
    while (this.entries.size > this.limits.entries || this.keptBytes > this.limits.bytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldestKey);
      this.keptBytes -= oldest.bytes;
    }
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
  keepAnswer(
    result,
    patchJson === undefined ? undefined : { utf8: Buffer.from(patchJson), operations },
  );
  // The patch is kept as objects, as JSON text (or its parts) and base64 in the serialised answer.
  const bytes = keyBytes + 4 * (patchJson?.length ?? 0) + 1024;
  if (!patchJson || tokenVolume === undefined || !patchJson.includes(tokenVolume)) {
    return { result, tokenVolume, bytes };
  }
  const parts = patchJson.split(JSON.stringify(tokenVolume));
  // A name inside a longer string (not a whole value) could not be put back faithfully.
  if (parts.some((part) => part.includes(tokenVolume))) return undefined;
  return { result, tokenVolume, patchParts: parts.map((part) => Buffer.from(part)), bytes };
}

/**
 * The kept answer for this pod: as it is, or with this pod's token volume in its patch (as bytes:
 * answer-bytes.ts serialises them without parsing them).
 */
function answerFor(entry: Entry, tokenVolume: string | undefined): MutationResult {
  const { result, patchParts } = entry;
  if (patchParts === undefined || tokenVolume === entry.tokenVolume) return result;
  const name = Buffer.from(JSON.stringify(tokenVolume));
  const joined: Buffer[] = [];
  for (const part of patchParts) {
    if (joined.length > 0) joined.push(name);
    joined.push(part);
  }
  return withPatchBytes(result, {
    utf8: Buffer.concat(joined),
    operations: result.patch?.length ?? 0,
  });
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
