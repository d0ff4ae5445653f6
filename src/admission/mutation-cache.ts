/**
 * Memoised mutation. The StatefulSet controller creates every pod of a StatefulSet from one
 * template, so its pods differ only in fields the transformation neither reads nor writes (name,
 * uid, the pod-name and pod-index labels, hostname...) and in the name the API server's
 * ServiceAccount admission gives the token volume (kube-api-access-<random>). The first are left
 * out of the key. The token volume's name is replaced by a placeholder in the key and in the
 * remembered patch (which mounts the token into the containers kafka-warden adds), and this pod's
 * name is put back into the patch it gets. A pod with the same remaining content gets the patch
 * proven to apply to a pod that differs from it only there. Bounded (least recently used goes
 * first) and scoped to one configuration object, so a new configuration never meets an old answer.
 */
import type { WardenConfig } from '../core/config';
import type { KubeObject, PodSpec } from '../core/k8s-types';
import { platformTokenVolumes } from '../core/pod-edit';
import { mutate, type MutationOptions, type MutationResult } from './mutate';
import { serialiseOnce, type AdmissionRequest } from './review';

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

/**
 * Stands for the i-th token volume's name, quotes included, in keys and patch templates. JSON text
 * never holds a raw NUL (JSON.stringify escapes it), so no pod's own content can look like this.
 */
const placeholder = (index: number) => `\u0000${index}\u0000`;

/**
 * A template split on its NULs: the parts alternate text, a placeholder's index, text, ..., text.
 * Split once, filled per request.
 */
function split(template: string): string[] {
  return template.split('\u0000');
}

/** The template's text with every placeholder replaced by the quoted name it stands for. */
function fill(parts: readonly string[], names: readonly string[]): string {
  let text = '';
  for (let i = 0; i < parts.length; i++) {
    text += i % 2 === 1 ? JSON.stringify(names[Number(parts[i])]) : parts[i];
  }
  return text;
}

interface Entry {
  /** The answer as the first pod got it; served as it is to a pod with the same token volume names. */
  result: MutationResult;
  tokenVolumes: readonly string[];
  operations: number;
  /** The patch's JSON text with placeholders for the token volume names (when it names them). */
  patchTemplate?: string[];
}

export class MutationCache {
  private readonly entries = new Map<string, Entry>();

  /** 256 pods of ~15 KB of JSON each: a few MiB at most. */
  constructor(readonly capacity = 256) {}

  get size(): number {
    return this.entries.size;
  }

  mutate(request: AdmissionRequest, options: MutationOptions): MutationResult {
    const object = request.object;
    // Only pods a StatefulSet owns are remembered: the transformation names the cluster after that
    // owner, and otherwise after the pod itself, which the key leaves out.
    if (
      request.kind.kind !== 'Pod' ||
      !object?.metadata?.ownerReferences?.some((owner) => owner.kind === 'StatefulSet')
    ) {
      return mutate(request, options);
    }
    const tokenVolumes = platformTokenVolumes(object.spec as PodSpec | undefined);
    const key = cacheKey(request, object, options, tokenVolumes);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return answerFor(hit, tokenVolumes);
    }
    const result = mutate(request, options);
    // A failed-open answer names the pod in its warning: not reusable for another pod.
    if (result.result === 'failed-open') return result;
    const entry = remember(result, tokenVolumes);
    if (!entry) return result;
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return result;
  }
}

/** The entry for a fresh answer, or undefined when the answer cannot serve other pods. */
function remember(result: MutationResult, tokenVolumes: readonly string[]): Entry | undefined {
  const operations = result.patch?.length ?? 0;
  const patchJson = operations > 0 ? JSON.stringify(result.patch) : undefined;
  serialiseOnce(result, patchJson === undefined ? undefined : { json: patchJson, operations });
  if (!patchJson || !tokenVolumes.some((name) => patchJson.includes(name))) {
    return { result, tokenVolumes, operations };
  }
  let patchTemplate = patchJson;
  tokenVolumes.forEach((name, i) => {
    patchTemplate = patchTemplate.replaceAll(JSON.stringify(name), placeholder(i));
  });
  // A name inside a longer string (not a whole value) could not be put back faithfully.
  if (tokenVolumes.some((name) => patchTemplate.includes(name))) return undefined;
  return { result, tokenVolumes, operations, patchTemplate: split(patchTemplate) };
}

/**
 * The kept answer for this pod: as it is, or with this pod's token volume names in its patch.
 * Only the serialised answer is built per request; the operations are parsed from it only if
 * something asks for them (the handler does not).
 */
function answerFor(entry: Entry, tokenVolumes: readonly string[]): MutationResult {
  const { result, patchTemplate, operations } = entry;
  if (patchTemplate === undefined || sameNames(entry.tokenVolumes, tokenVolumes)) return result;
  const json = fill(patchTemplate, tokenVolumes);
  let parsed: unknown[] | undefined;
  const own: MutationResult = { ...result };
  Object.defineProperty(own, 'patch', {
    enumerable: true,
    get: () => (parsed ??= JSON.parse(json) as unknown[]),
  });
  serialiseOnce(own, { json, operations });
  return own;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
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
  tokenVolumes.forEach((name, i) => {
    key = key.replaceAll(JSON.stringify(name), placeholder(i));
  });
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
