/**
 * `kubectl scale` (and every autoscaler) changes a StatefulSet's replica count through its `scale`
 * subresource: the admission request then carries an autoscaling/v1 Scale — name, namespace and
 * replicas, no pod template — and never the StatefulSet. The policy engine judges StatefulSets, so
 * the webhook reads the StatefulSet the Scale belongs to and judges the change the Scale makes to
 * it: the same UPDATE, with only `spec.replicas` different. Without that, `kubectl scale --replicas`
 * would walk past broker-scaling, the rule that matters most on a scale-down.
 */
import type { KubeObject } from '../core/k8s-types';
import { isRecord } from '../core/k8s-types';
import type { PolicyRequest } from '../policy/types';
import { describeFailure, withTimeout } from '../async/deadline';
import type { AdmissionRequest } from './review';

/** Reads the StatefulSet a Scale request is about. The server implements it with the API (src/kube). */
export interface StatefulSetSource {
  /** The StatefulSet as the API serves it, or undefined when there is none. Rejects on I/O failure. */
  readStatefulSet(
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<KubeObject | undefined>;
}

/** How long a Scale request may wait for its StatefulSet (the webhook's timeout is a few seconds). */
export const STATEFULSET_READ_TIMEOUT_MS = 2000;

export function isStatefulSetScale(request: AdmissionRequest): boolean {
  return (
    request.subResource === 'scale' &&
    request.resource?.group === 'apps' &&
    request.resource.resource === 'statefulsets'
  );
}

export type ScaleTranslation =
  | { status: 'translated'; request: PolicyRequest }
  /** Nothing to judge: the StatefulSet is gone (the API server answers 404 itself) or unchanged. */
  | { status: 'nothing-to-judge'; reason: string }
  | { status: 'unreadable'; reason: string };

/** The StatefulSet UPDATE a Scale request amounts to. */
export async function translateScale(
  request: AdmissionRequest,
  source: StatefulSetSource,
  timeoutMs = STATEFULSET_READ_TIMEOUT_MS,
): Promise<ScaleTranslation> {
  const namespace = request.namespace ?? request.object?.metadata?.namespace ?? '';
  const name = request.name ?? request.object?.metadata?.name ?? '';
  const replicas = scaleReplicas(request.object);
  if (replicas === undefined) {
    return { status: 'nothing-to-judge', reason: 'the Scale object has no spec.replicas' };
  }
  let current: KubeObject | undefined;
  try {
    current = await withTimeout(`reading StatefulSet ${namespace}/${name}`, timeoutMs, (signal) =>
      source.readStatefulSet(namespace, name, signal),
    );
  } catch (error) {
    return {
      status: 'unreadable',
      reason: `could not read StatefulSet ${namespace}/${name}: ${describeFailure(error)}`,
    };
  }
  if (!current) {
    return {
      status: 'nothing-to-judge',
      reason: `StatefulSet ${namespace}/${name} does not exist`,
    };
  }
  const spec = isRecord(current.spec) ? current.spec : {};
  // The replica count the change starts from is the Scale's own old value when the API server
  // sends it: the StatefulSet read a moment later may already reflect a concurrent change.
  const from = scaleReplicas(request.oldObject) ?? numberOr(spec.replicas, 1);
  return {
    status: 'translated',
    request: {
      operation: 'UPDATE',
      oldObject: { ...current, spec: { ...spec, replicas: from } },
      object: { ...current, spec: { ...spec, replicas } },
      namespace,
      ...(request.userInfo ? { userInfo: request.userInfo } : {}),
      dryRun: request.dryRun,
    },
  };
}

function scaleReplicas(object: KubeObject | undefined): number | undefined {
  const spec = object && isRecord(object.spec) ? object.spec : undefined;
  // An absent spec.replicas in a Scale means 0 (omitempty in the API's JSON).
  if (spec === undefined) return undefined;
  return numberOr(spec.replicas, 0);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : fallback;
}
