/**
 * A Kafka or ZooKeeper StatefulSet as the rules see it: its role (by detection, never by name), its
 * main container, replica count and annotations. Anything that is not such a StatefulSet has no
 * view, and the engine leaves it alone.
 */
import { DEFAULT_CONFIG, type WardenConfig } from '../core/config';
import { detectWorkload, type WorkloadRole } from '../core/detect';
import type { Container, KubeObject, StatefulSetSpec } from '../core/k8s-types';
import { isRecord } from '../core/k8s-types';

export type Detection = WardenConfig['detection'];

export interface WorkloadView {
  object: KubeObject;
  kind: string;
  name: string;
  role: WorkloadRole;
  spec: StatefulSetSpec;
  /** The broker or ZooKeeper server container. */
  container: Container;
  /** spec.replicas; the API server defaults an absent value to 1. */
  replicas: number;
  annotations: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
}

export function viewWorkload(
  object: KubeObject | null | undefined,
  detection: Detection,
): WorkloadView | undefined {
  if (!object || object.kind !== 'StatefulSet' || !isRecord(object.spec)) return undefined;
  const spec = object.spec as StatefulSetSpec;
  const template = spec.template;
  const found = detectWorkload(template?.metadata, template?.spec, {
    ...DEFAULT_CONFIG,
    detection,
  });
  if (!found) return undefined;
  return {
    object,
    kind: object.kind,
    name: object.metadata?.name ?? '(unnamed)',
    role: found.role,
    spec,
    container: found.container,
    replicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
    annotations: object.metadata?.annotations ?? {},
    labels: object.metadata?.labels ?? {},
  };
}

/** An annotation's value, trimmed; `undefined` when absent, `''` when present but empty. */
export function annotation(view: WorkloadView, name: string): string | undefined {
  const value = view.annotations[name];
  return typeof value === 'string' ? value.trim() : undefined;
}
