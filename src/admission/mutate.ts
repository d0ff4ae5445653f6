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
import { brokerContextOf } from '../core/broker-context';
import { detectWorkload } from '../core/detect';
import { injectPodTemplate } from '../core/inject-pod';
import { readStatus, writeStatusWithoutOriginals } from '../core/injection-status';
import { podNotices } from '../core/notices';
import type { KubeObject, PodTemplate, StatefulSetSpec } from '../core/k8s-types';
import type { BrokerContext } from '../core/listeners';
import { checkObjectShape } from '../core/object-shape';
import { isHelmHook } from '../core/transform-manifests';
import { webhookBrokerRefusal } from '../core/webhook-scope';
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

  let outcome: Transformed | null;
  let notices: string[];
  try {
    // Before the notices too: they read the same containers, and a null entry there was a 500.
    if (isEdited(request.kind.kind, options)) checkObjectShape(object, where, request.kind.kind);
    notices = noticesFor(object, request.kind.kind, where, options);
    outcome = transformObject(object, request.kind.kind, where, options);
  } catch (error) {
    if (!(error instanceof WardenError)) throw error;
    return failedOpen(where, error);
  }
  const warnings = notices.length > 0 ? { warnings: notices } : {};
  if (!outcome)
    return {
      allowed: true,
      result: 'skipped',
      reason: 'not a Kafka or ZooKeeper workload',
      ...warnings,
    };

  const patch = compare(object, outcome.object);
  if (patch.length === 0) return { allowed: true, result: 'unchanged', ...warnings };
  // Only a pod that still needs injecting is refused: one the post-renderer already made whole
  // (it added the Services) gets no patch above.
  const refusal = outcome.broker ? webhookBrokerRefusal(outcome.broker, options.config) : null;
  if (refusal) return failedOpen(where, new WardenError('KW_CONFIG_WEBHOOK', refusal));
  // The request object is not needed any more: apply the patch to it in place, with validation,
  // to prove every operation applies (a throw here is a 500, never a bad patch sent to the API).
  applyPatch(object, patch, true, true);
  return { allowed: true, result: 'injected', patch, ...warnings };
}

/** The transformation's notices on the object as it came, as admission warnings. */
function noticesFor(
  object: KubeObject,
  kind: string,
  where: string,
  options: MutationOptions,
): string[] {
  const { config } = options;
  if (kind === 'Pod') {
    return podNotices(
      object as PodTemplate,
      { where, broker: brokerContextOf(object) },
      config,
    ).map((n) => n.message);
  }
  const spec = object.spec as StatefulSetSpec | undefined;
  if (kind !== 'StatefulSet' || !options.mutateStatefulSets || !spec?.template) return [];
  const detected = detectWorkload(spec.template.metadata, spec.template.spec, config);
  const ctx = detected?.role === 'kafka' ? { where, broker: brokerContextOf(object) } : { where };
  return podNotices(spec.template, ctx, config).map((n) => n.message);
}

/** Mutation fails open: the pod is admitted as it is, and the user is told why. */
function failedOpen(where: string, error: WardenError): MutationResult {
  return {
    allowed: true,
    result: 'failed-open',
    reason: error.code,
    warnings: [`kafka-warden did not inject into ${where}: ${error.message}`],
    auditAnnotations: { 'injection-skipped': error.code },
  };
}

interface Transformed {
  object: KubeObject;
  /** Set when the object is a broker: the context the transformation used. */
  broker?: BrokerContext;
}

/** The kinds this webhook edits: Pods, and StatefulSets with `--mutate-statefulsets`. */
function isEdited(kind: string, options: MutationOptions): boolean {
  return kind === 'Pod' || (kind === 'StatefulSet' && options.mutateStatefulSets);
}

function transformObject(
  object: KubeObject,
  kind: string,
  where: string,
  options: MutationOptions,
): Transformed | null {
  const { config } = options;
  if (kind === 'Pod') {
    const clone = cloneJson(object);
    const broker = brokerContextOf(object);
    const done = injectPodTemplate(clone as PodTemplate, { where, broker }, config);
    if (!done) return null;
    if (!readStatus(object.metadata)?.originals)
      writeStatusWithoutOriginals(clone.metadata, done.status);
    return done.role === 'kafka' ? { object: clone, broker } : { object: clone };
  }
  if (kind === 'StatefulSet' && options.mutateStatefulSets) {
    const clone = cloneJson(object);
    const spec = clone.spec as StatefulSetSpec | undefined;
    if (!spec?.template) return null;
    // Detected first: the context's replica check is for brokers, not any StatefulSet.
    const detected = detectWorkload(spec.template.metadata, spec.template.spec, config);
    const broker = detected?.role === 'kafka' ? brokerContextOf(clone) : undefined;
    const ctx = broker ? { where, broker } : { where };
    const done = injectPodTemplate(spec.template, ctx, config);
    if (!done) return null;
    return broker ? { object: clone, broker } : { object: clone };
  }
  return null;
}
