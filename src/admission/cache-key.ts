/**
 * The mutation cache's key for a pod (mutation-cache.ts). The plain statement is `cacheKey`: the
 * JSON text of the request's operation, the cache option and the pod less what differs between
 * pods of one StatefulSet (name, uid, the pod-name and pod-index labels, hostname...), with the
 * quoted name of the ServiceAccount token volume replaced by a placeholder. Two pods share an
 * answer exactly when their keys are equal.
 *
 * `sameCacheKey` is the fast path: whether two pods' keys are equal, told by walking both parsed
 * pods side by side, without serialising either (a broker pod's key is ~3 KB of JSON text, written
 * and hashed per request). It may answer false where the keys are equal (the cache then computes
 * the key), never true where they differ. test/unit/admission/cache-key.test.ts holds it to that
 * over the golden cases' pods and generated variants, and to true for the pods of one StatefulSet.
 */
import { isRecord, POD_NAME_LABEL, type KubeObject } from '../core/k8s-types';
import type { Operation } from './review';

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
const POD_SPECIFIC_SPEC = new Set(['hostname']);

/**
 * Stands for the token volume's name, quotes included, in keys. JSON text never holds a raw NUL
 * (JSON.stringify escapes it), so no pod's own content can look like this.
 */
const TOKEN_VOLUME = '\u0000token-volume\u0000';

/** What a key is made of. */
export interface KeyedPod {
  operation: Operation;
  mutateStatefulSets: boolean;
  object: KubeObject;
  /** The ServiceAccount token volume's name (platformTokenVolume), if the pod has one. */
  tokenVolume: string | undefined;
}

/** The pod's metadata as keys hold it: a copy less the fields particular to one pod. */
export function keyedMetadata(object: KubeObject): Record<string, unknown> {
  const metadata = { ...object.metadata };
  for (const field of POD_SPECIFIC_METADATA) delete metadata[field];
  return metadata;
}

/** The reference: the key as text. The text itself is the key (a Map hashes strings natively). */
export function cacheKey(pod: KeyedPod): string {
  const { object, tokenVolume } = pod;
  const metadata = keyedMetadata(object);
  // Labels that are not a mapping stay as they are in the key: Object.entries of a 1 MB string
  // made a million entries (seconds and hundreds of MB for one request).
  if (isRecord(metadata.labels)) {
    metadata.labels = Object.fromEntries(
      Object.entries(metadata.labels).filter(([label]) => !POD_SPECIFIC_LABELS.has(label)),
    );
  }
  const spec = { ...(object.spec as Record<string, unknown>) };
  for (const field of POD_SPECIFIC_SPEC) delete spec[field];
  const key = JSON.stringify([
    pod.operation,
    pod.mutateStatefulSets,
    { ...object, metadata, spec },
  ]);
  return tokenVolume === undefined
    ? key
    : key.replaceAll(JSON.stringify(tokenVolume), TOKEN_VOLUME);
}

/**
 * A token volume name this walk can reason about: no character JSON escapes, and none that could
 * continue or end an escape sequence at its start. Then a quoted name in a key's text is always a
 * whole JSON string that ends with the name (see sameText); other names take the plain path.
 */
const PLAIN_TOKEN_VOLUME = /^kube-api-access-[a-z0-9-]*$/;

/** True only if cacheKey(a) === cacheKey(b). False when unsure. */
export function sameCacheKey(a: KeyedPod, b: KeyedPod): boolean {
  if (a.operation !== b.operation || a.mutateStatefulSets !== b.mutateStatefulSets) return false;
  for (const name of [a.tokenVolume, b.tokenVolume]) {
    if (name !== undefined && !PLAIN_TOKEN_VOLUME.test(name)) return false;
  }
  const x = a.object;
  const y = b.object;
  // cacheKey spreads metadata and spec into new objects (a missing one becomes {} at the end, an
  // array or string its indexes): only mappings on both sides are compared here.
  for (const object of [x, y]) {
    if (!Object.hasOwn(object, 'metadata') || !isRecord(object.metadata)) return false;
    if (!Object.hasOwn(object, 'spec') || !isRecord(object.spec)) return false;
  }
  return new Walk(a.tokenVolume, b.tokenVolume).sameFields(x, y, Fields.Pod);
}

/** Which fields of a mapping keys leave out, and which of its fields are compared by their own rule. */
const enum Fields {
  /** Every field, each value compared as it is. */
  All,
  /** The pod: its metadata and spec as below. */
  Pod,
  /** Less the fields of one pod; its labels as below when they are a mapping. */
  Metadata,
  /** Less the hostname. */
  Spec,
  /** Less the labels of one pod. */
  Labels,
}

const SKIPPED: Record<Fields, ReadonlySet<string> | undefined> = {
  [Fields.All]: undefined,
  [Fields.Pod]: undefined,
  [Fields.Metadata]: POD_SPECIFIC_METADATA,
  [Fields.Spec]: POD_SPECIFIC_SPEC,
  [Fields.Labels]: POD_SPECIFIC_LABELS,
};

/** The rule a field is compared by, when not as any value: metadata, spec, labels that are mappings. */
function ownRule(fields: Fields, key: string, u: unknown, v: unknown): Fields | undefined {
  if (fields === Fields.Pod) {
    return key === 'metadata' ? Fields.Metadata : key === 'spec' ? Fields.Spec : undefined;
  }
  // Labels that are not a mapping stay as they are in keys (cacheKey).
  if (fields === Fields.Metadata && key === 'labels' && (isRecord(u) || isRecord(v))) {
    return Fields.Labels;
  }
  return undefined;
}

class Walk {
  constructor(
    private readonly xToken: string | undefined,
    private readonly yToken: string | undefined,
  ) {}

  /** Same field names in the same order (less those skipped), and the same values. */
  sameFields(x: object, y: object, fields: Fields): boolean {
    const skipped = SKIPPED[fields];
    const xKeys = Object.keys(x);
    const yKeys = Object.keys(y);
    // Values read in one go, not field by field: the pods' many shapes make keyed reads slow.
    const xValues: unknown[] = Object.values(x);
    const yValues: unknown[] = Object.values(y);
    let i = 0;
    let j = 0;
    for (;;) {
      if (skipped) {
        while (i < xKeys.length && skipped.has(xKeys[i] as string)) i++;
        while (j < yKeys.length && skipped.has(yKeys[j] as string)) j++;
      }
      if (i === xKeys.length || j === yKeys.length) return i === xKeys.length && j === yKeys.length;
      const xKey = xKeys[i] as string;
      const yKey = yKeys[j] as string;
      const u = xValues[i++];
      const v = yValues[j++];
      if (!this.sameText(xKey, yKey)) return false;
      // A field of another name (a token volume's name in both) is compared as a value.
      const own = xKey === yKey ? ownRule(fields, xKey, u, v) : undefined;
      if (!(own === undefined ? this.sameValue(u, v) : this.sameOwn(own, u, v))) return false;
    }
  }

  private sameOwn(own: Fields, u: unknown, v: unknown): boolean {
    return isRecord(u) && isRecord(v) && this.sameFields(u, v, own);
  }

  private sameValue(x: unknown, y: unknown): boolean {
    if (typeof x === 'string') return typeof y === 'string' && this.sameText(x, y);
    // Numbers, booleans, null: equal values are written alike (0 and -0 both as 0).
    if (x === null || typeof x !== 'object' || y === null || typeof y !== 'object') return x === y;
    if (Array.isArray(x) || Array.isArray(y)) {
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!this.sameValue(x[i], y[i])) return false;
      return true;
    }
    return this.sameFields(x, y, Fields.All);
  }

  /**
   * Whether two strings (values or field names) read alike in the keys. With a plain token volume
   * name (PLAIN_TOKEN_VOLUME), its quoted form can occur in a key's text only as a whole JSON
   * string: its closing quote is a real one (no backslash before it), and its opening quote either
   * opens the string or is an escaped quote inside it. Either way the string ends with the name.
   * So a string that ends with neither pod's name reads as itself in both keys, and a string that
   * is exactly its pod's name reads as the placeholder.
   */
  private sameText(x: string, y: string): boolean {
    const { xToken, yToken } = this;
    if (x === y) {
      return (
        xToken === yToken ||
        !(
          (xToken !== undefined && x.endsWith(xToken)) ||
          (yToken !== undefined && x.endsWith(yToken))
        )
      );
    }
    return xToken !== undefined && yToken !== undefined && x === xToken && y === yToken;
  }
}
