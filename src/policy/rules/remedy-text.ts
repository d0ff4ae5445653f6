/**
 * How messages ask for an intent annotation (a plan, an acknowledgement) so that every user can
 * follow them. cp-helm-charts (0.5.0, 0.6.1) renders no StatefulSet annotations: its only annotation
 * value is `podAnnotations`, which lands on the pod template. So a message names two ways:
 *
 * - kubectl on the live StatefulSet, before the change: Helm 3 upgrades with a three-way merge and
 *   keeps an annotation it did not render, so the change that follows carries it. The annotating
 *   UPDATE changes nothing the rules judge and restarts nothing;
 * - the chart value, in the change itself: intent annotations are read from the pod template too
 *   (`intent()` in workload.ts), but a pod-template change restarts every pod, which the message says.
 */
import type { WorkloadRole } from '../../core/detect';
import { podNoun } from '../rule';
import type { WorkloadView } from '../workload';

/** The chart value that becomes the pod template's annotations. */
export function podAnnotationsValue(role: WorkloadRole): string {
  return role === 'kafka' ? 'cp-kafka.podAnnotations' : 'cp-zookeeper.podAnnotations';
}

export interface AnnotateOptions {
  /** The change restarts every pod anyway (a ZooKeeper ensemble change), so the chart way costs nothing more. */
  rollsAnyway?: boolean;
}

/** "annotate the StatefulSet first (kubectl …) or give it with the change in chart value …". */
export function howToAnnotate(
  view: WorkloadView,
  name: string,
  value: string,
  { rollsAnyway = false }: AnnotateOptions = {},
): string {
  const cost = rollsAnyway
    ? `this change restarts every ${podNoun(view.role, false)} anyway`
    : `but changing the pod template restarts every ${podNoun(view.role, false)} one by one`;
  return (
    `annotate the StatefulSet before the change (kubectl annotate statefulset ${view.name} ` +
    `${name}=${value}, and ${name}- once it is done; helm upgrade keeps an annotation it did not ` +
    `render), or give it with the change in chart value ${podAnnotationsValue(view.role)} ` +
    `(kafka-warden reads it from the pod template too; ${cost})`
  );
}
