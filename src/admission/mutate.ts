/**
 * The mutating webhook's decision: the post-renderer's transformation (src/core) applied to a Pod
 * (or, when configured, a StatefulSet's pod template), answered as an RFC 6902 patch computed by
 * diffing the transformed clone against the request object, never written by hand. The patch is
 * applied to the request object before answering: a patch that does not apply would fail the API
 * call even under failurePolicy Ignore.
 */
import { applyPatch, compare } from 'fast-json-patch';
import type { WardenConfig } from '../core/config';
import { WardenError } from '../core/errors';
import { injectPodTemplate } from '../core/inject-pod';
import type { KubeObject, PodTemplate, StatefulSetSpec } from '../core/k8s-types';
import { checkObjectShape } from '../core/object-shape';
import { brokerContextForPod, isHelmHook } from '../core/transform-manifests';
import { cloneJson } from './clone-json';
import type { AdmissionOutcome, AdmissionRequest } from './review';

export interface MutationOptions {
  config: WardenConfig;
  /** Also inject into StatefulSet pod templates (off by default: pods are enough, templates show in diffs). */
  mutateStatefulSets: boolean;
}

export interface MutationResult extends AdmissionOutcome {
  /** What happened, for logs and metrics: injected, unchanged, skipped, or failed-open. */
  result: 'injected' | 'unchanged' | 'skipped' | 'failed-open';
  reason?: string;
}

/** Note: on an injection, request.object is patched in place (the proof that the patch applies). */
export function mutate(request: AdmissionRequest, options: MutationOptions): MutationResult {
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') {
    return { allowed: true, result: 'skipped', reason: `no mutation on ${request.operation}` };
  }
  const object = request.object;
  if (!object || isHelmHook(object))
    return { allowed: true, result: 'skipped', reason: 'no object or a Helm hook' };
  const generateName =
    typeof object.metadata?.generateName === 'string' ? object.metadata.generateName : '';
  const where = `${request.kind.kind} ${request.namespace ?? ''}/${object.metadata?.name ?? request.name ?? generateName}`;

  let transformed: KubeObject;
  try {
    const outcome = transformObject(object, request.kind.kind, where, options);
    if (!outcome)
      return { allowed: true, result: 'skipped', reason: 'not a Kafka or ZooKeeper workload' };
    transformed = outcome;
  } catch (error) {
    if (!(error instanceof WardenError)) throw error;
    // Mutation fails open: the pod is admitted as it is, and the user is told why.
    return {
      allowed: true,
      result: 'failed-open',
      reason: error.code,
      warnings: [`kafka-warden did not inject into ${where}: ${error.message}`],
      auditAnnotations: { 'injection-skipped': error.code },
    };
  }

  const patch = compare(object, transformed);
  if (patch.length === 0) return { allowed: true, result: 'unchanged' };
  // The request object is not needed any more: apply the patch to it in place, with validation,
  // to prove every operation applies (a throw here is a 500, never a bad patch sent to the API).
  applyPatch(object, patch, true, true);
  return { allowed: true, result: 'injected', patch };
}

function transformObject(
  object: KubeObject,
  kind: string,
  where: string,
  options: MutationOptions,
): KubeObject | null {
  if (kind === 'Pod' || (kind === 'StatefulSet' && options.mutateStatefulSets)) {
    checkObjectShape(object, where, kind);
  }
  if (kind === 'Pod') {
    const clone = cloneJson(object);
    const done = injectPodTemplate(
      clone as PodTemplate,
      { where, broker: brokerContextForPod(object) },
      options.config,
    );
    return done ? clone : null;
  }
  if (kind === 'StatefulSet' && options.mutateStatefulSets) {
    const clone = cloneJson(object);
    const spec = clone.spec as StatefulSetSpec | undefined;
    if (!spec?.template) return null;
    const name = clone.metadata?.name ?? '';
    const broker = {
      cluster: name,
      headlessService: spec.serviceName ?? `${name}-headless`,
      replicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
      chartFirstListenerPort: null,
    };
    return injectPodTemplate(spec.template, { where, broker }, options.config) ? clone : null;
  }
  return null;
}
