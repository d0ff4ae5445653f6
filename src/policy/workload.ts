/**
 * A Kafka or ZooKeeper StatefulSet as the rules see it: its role (by detection, never by name), its
 * main container, replica count and annotations. Anything that is not such a StatefulSet has no
 * view, and the engine leaves it alone. After an UPDATE the role is the one the StatefulSet had:
 * a changed pod template does not change which pods, volumes and broker ids it owns.
 */
import type { WardenConfig } from '../core/config';
import { detectWorkload, type WorkloadRole } from '../core/detect';
import type { Container, KubeObject, StatefulSetSpec } from '../core/k8s-types';
import { isRecord } from '../core/k8s-types';

export type Detection = WardenConfig['detection'];

export interface WorkloadView {
  object: KubeObject;
  kind: string;
  name: string;
  role: WorkloadRole;
  /**
   * What detection makes of this object on its own. It differs from `role` only for the object
   * after an UPDATE that no longer looks like the Kafka (or ZooKeeper) it was.
   */
  detectedAs: WorkloadRole | undefined;
  spec: StatefulSetSpec;
  /** The broker or ZooKeeper server container. */
  container: Container;
  /** spec.replicas; the API server defaults an absent value to 1. */
  replicas: number;
  /** The StatefulSet's own annotations (exemptions are read from these only: exemptions.ts). */
  annotations: Readonly<Record<string, string>>;
  /**
   * The pod template's annotations: where cp-helm-charts users can put annotations at all
   * (`podAnnotations`; the charts have no value for the StatefulSet's own). Intent annotations are
   * read from here too (`intent`), exemptions never.
   */
  templateAnnotations: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
}

export function viewWorkload(
  object: KubeObject | null | undefined,
  detection: Detection,
): WorkloadView | undefined {
  if (!object || object.kind !== 'StatefulSet' || !isRecord(object.spec)) return undefined;
  const spec = object.spec as StatefulSetSpec;
  const template = spec.template;
  // Detection is all detectWorkload reads: no copy of the whole default configuration per call.
  const found = detectWorkload(template?.metadata, template?.spec, { detection });
  if (!found) return undefined;
  return view(object, spec, found.role, found.container, found.role);
}

/**
 * The object after an UPDATE, seen as the role it had before. Renaming the broker container or
 * switching to an image detection does not list must not turn a scale-down 3 → 1 into a change of
 * "something else": the rules of the old role judge the new object, through the container that
 * took the old main container's place (same name; else the one detection now finds, as for a
 * broker turned into ZooKeeper; else the same position; else the first). Undefined only for an
 * object without containers, which the API server refuses before any webhook sees it.
 */
export function viewAfterUpdate(
  object: KubeObject | null | undefined,
  previous: WorkloadView,
  detection: Detection,
): WorkloadView | undefined {
  const detected = viewWorkload(object, detection);
  if (detected?.role === previous.role) return detected;
  if (!object || object.kind !== 'StatefulSet' || !isRecord(object.spec)) return undefined;
  const spec = object.spec as StatefulSetSpec;
  const containers = spec.template?.spec?.containers;
  if (!Array.isArray(containers)) return undefined;
  const position = previous.spec.template?.spec?.containers.indexOf(previous.container) ?? -1;
  const container =
    containers.find((c) => c.name === previous.container.name) ??
    detected?.container ??
    containers[position] ??
    containers[0];
  if (!container) return undefined;
  return view(object, spec, previous.role, container, detected?.role);
}

function view(
  object: KubeObject,
  spec: StatefulSetSpec,
  role: WorkloadRole,
  container: Container,
  detectedAs: WorkloadRole | undefined,
): WorkloadView {
  return {
    object,
    // Both callers let only StatefulSets through.
    kind: 'StatefulSet',
    name: object.metadata?.name ?? '(unnamed)',
    role,
    detectedAs,
    spec,
    container,
    replicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
    annotations: object.metadata?.annotations ?? {},
    templateAnnotations: spec.template?.metadata?.annotations ?? {},
    labels: object.metadata?.labels ?? {},
  };
}

/** An annotation's value, trimmed; `undefined` when absent, `''` when present but empty. */
export function annotation(view: WorkloadView, name: string): string | undefined {
  return trimmed(view.annotations[name]);
}

/**
 * An intent annotation (a plan, an acknowledgement, a deletion reason): the StatefulSet's own, or,
 * when it has none with a value, its pod template's. cp-helm-charts renders no StatefulSet
 * annotations, only the pod template's (`cp-kafka.podAnnotations`, `cp-zookeeper.podAnnotations`),
 * so a chart user's intent can only arrive there in the change it belongs to. Reading it there
 * grants nothing: the rule still judges what it says. Exemptions are a different matter and never
 * come from here. `undefined` when absent in both, `''` when present but empty.
 */
export function intent(view: WorkloadView, name: string): string | undefined {
  const own = annotation(view, name);
  if (own) return own;
  const fromTemplate = trimmed(view.templateAnnotations[name]);
  return fromTemplate || (own ?? fromTemplate);
}

function trimmed(value: unknown): string | undefined {
  return typeof value === 'string' ? value.trim() : undefined;
}
