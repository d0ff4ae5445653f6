/**
 * Does an UPDATE change a StatefulSet's pod template, the thing whose every change rolls every pod?
 * Compared as Kubernetes means it, not as text: a field the API server fills in with its default
 * (`imagePullPolicy`, `terminationMessagePath`, a port's `protocol: TCP`, `defaultMode: 420`, …)
 * equals the same field left out, an empty map or list equals none, and kafka-warden's own
 * injection record (`kafka-warden.io/status`, JSON) is compared by content, not by spelling. That
 * matters where the two sides come from different places: `check --old` with a `kubectl get -o
 * yaml` (defaults filled in) against a fresh render (none), or a webhook that re-serialises the
 * record.
 */
import { STATUS_ANNOTATION } from '../core/injection-status';
import { isRecord } from '../core/k8s-types';

type Json = unknown;

/** Paths (e.g. `spec.containers[cp-kafka-broker].image`) where the templates differ; empty when equal. */
export function templateChanges(before: unknown, after: unknown): string[] {
  // Most StatefulSet updates (replicas, labels, the issuer's bookkeeping) leave the template as it
  // was, byte for byte: equal inputs normalise equally, so skip the copies for them. This keeps
  // the validating webhook's hot path free of two deep clones per request.
  if (identical(before, after)) return [];
  const changes: string[] = [];
  diff(normaliseTemplate(before), normaliseTemplate(after), '', changes);
  return changes;
}

/** The template with defaults and empties removed and the injection record parsed. */
export function normaliseTemplate(template: unknown): Json {
  if (!isRecord(template)) return undefined;
  const copy = structuredClone<Record<string, Json>>(template);
  const metadata = copy.metadata;
  if (isRecord(metadata)) {
    delete metadata.creationTimestamp;
    const annotations = metadata.annotations;
    if (isRecord(annotations) && typeof annotations[STATUS_ANNOTATION] === 'string') {
      annotations[STATUS_ANNOTATION] = parsedOrText(annotations[STATUS_ANNOTATION]);
    }
  }
  if (isRecord(copy.spec)) dropPodSpecDefaults(copy.spec);
  return pruneEmpty(copy);
}

function parsedOrText(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** PodSpec fields the API server sets when absent (k8s.io/kubernetes pkg/apis/core/v1/defaults.go). */
const POD_DEFAULTS: Record<string, Json> = {
  restartPolicy: 'Always',
  dnsPolicy: 'ClusterFirst',
  schedulerName: 'default-scheduler',
  terminationGracePeriodSeconds: 30,
  enableServiceLinks: true,
};
const CONTAINER_DEFAULTS: Record<string, Json> = {
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};
const PROBE_DEFAULTS: Record<string, Json> = {
  timeoutSeconds: 1,
  periodSeconds: 10,
  successThreshold: 1,
  failureThreshold: 3,
};
const VOLUME_MODE_SOURCES = ['secret', 'configMap', 'downwardAPI', 'projected'];
const DEFAULT_MODE = 0o644;

function dropPodSpecDefaults(spec: Record<string, Json>): void {
  dropEqual(spec, POD_DEFAULTS);
  for (const key of ['containers', 'initContainers']) {
    for (const container of records(spec[key])) dropContainerDefaults(container);
  }
  for (const volume of records(spec.volumes)) {
    for (const source of VOLUME_MODE_SOURCES) {
      const value = volume[source];
      if (isRecord(value)) dropEqual(value, { defaultMode: DEFAULT_MODE });
    }
    if (isRecord(volume.hostPath)) dropEqual(volume.hostPath, { type: '' });
  }
}

function dropContainerDefaults(container: Record<string, Json>): void {
  dropEqual(container, CONTAINER_DEFAULTS);
  if (container.imagePullPolicy === defaultPullPolicy(container.image)) {
    delete container.imagePullPolicy;
  }
  for (const port of records(container.ports)) dropEqual(port, { protocol: 'TCP' });
  for (const key of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
    const probe = container[key];
    if (isRecord(probe)) {
      dropEqual(probe, PROBE_DEFAULTS);
      if (isRecord(probe.httpGet)) dropEqual(probe.httpGet, { scheme: 'HTTP' });
    }
  }
  for (const variable of records(container.env)) {
    const from = variable.valueFrom;
    if (isRecord(from) && isRecord(from.fieldRef)) dropEqual(from.fieldRef, { apiVersion: 'v1' });
  }
}

/** Always for `:latest` or no tag, IfNotPresent otherwise (a digest counts as pinned). */
function defaultPullPolicy(image: Json): string {
  if (typeof image !== 'string') return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function dropEqual(object: Record<string, Json>, defaults: Record<string, Json>): void {
  for (const [key, value] of Object.entries(defaults)) {
    if (object[key] === value) delete object[key];
  }
}

function records(value: Json): Record<string, Json>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** null, {} and [] are "not set" in a Kubernetes object; so are maps and lists holding only those. */
function pruneEmpty(value: Json): Json {
  if (Array.isArray(value)) {
    const items = value.map(pruneEmpty);
    return items.length === 0 ? undefined : items.map((item) => item ?? null);
  }
  if (isRecord(value)) {
    const result: Record<string, Json> = {};
    for (const [key, inner] of Object.entries(value)) {
      const pruned = pruneEmpty(inner);
      if (pruned !== undefined) result[key] = pruned;
    }
    return Object.keys(result).length === 0 ? undefined : result;
  }
  return value === null ? undefined : value;
}

function diff(a: Json, b: Json, path: string, out: string[]): void {
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      diff(a[key], b[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, index) =>
      diff(item, b[index], `${path}[${label(item, b[index], index)}]`, out),
    );
    return;
  }
  if (!sameValue(a, b)) out.push(path || '(template)');
}

/** List items with a name are named in paths: `containers[cp-kafka-broker]` says more than `[0]`. */
function label(a: Json, b: Json, index: number): string {
  const name = (isRecord(a) && a.name) || (isRecord(b) && b.name);
  return typeof name === 'string' ? name : String(index);
}

/** Deep equality of JSON values, without allocating (key order ignored). */
function identical(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!identical(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const left = a as Record<string, Json>;
  const right = b as Record<string, Json>;
  let count = 0;
  for (const key in left) {
    if (!Object.hasOwn(left, key)) continue;
    count++;
    if (!Object.hasOwn(right, key) || !identical(left[key], right[key])) return false;
  }
  for (const key in right) if (Object.hasOwn(right, key)) count--;
  return count === 0;
}

function sameValue(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
