/**
 * The validating webhook's decision: an AdmissionRequest handed to the policy engine, its Verdict
 * turned into an admission answer. A denial names every rule that denied with its full message
 * (what is wrong, why it is unsafe, how to proceed); warnings go back as admission warnings;
 * audited findings are allowed and recorded as audit annotations.
 */
import type { Verdict, PolicyRequest, Finding } from '../policy/types';
import type { AdmissionOutcome, AdmissionRequest } from './review';
import { isStatefulSetScale, translateScale, type StatefulSetSource } from './scale';

export interface ValidationOutcome extends AdmissionOutcome {
  result: 'allowed' | 'denied' | 'warned' | 'skipped';
  /** Findings that denied, warned or were audited, for metrics. */
  findings: { rule: string; mode: string }[];
}

export type Evaluate = (request: PolicyRequest) => Verdict | Promise<Verdict>;

export interface ValidateOptions {
  /** Where Scale requests find their StatefulSet; without one they are allowed unjudged. */
  statefulSets?: StatefulSetSource;
}

const SKIPPED: ValidationOutcome = { allowed: true, result: 'skipped', findings: [] };

/**
 * Synchronous when the engine is (no rule needed a lookup) and the request is not a Scale, whose
 * StatefulSet must be read first: the handler then answers without a microtask.
 */
export function validate(
  request: AdmissionRequest,
  evaluate: Evaluate,
  options: ValidateOptions = {},
): ValidationOutcome | Promise<ValidationOutcome> {
  if (request.operation === 'CONNECT') return SKIPPED;
  const policyRequest: PolicyRequest = {
    operation: request.operation,
    object: request.object ?? null,
    oldObject: request.oldObject ?? null,
    namespace: request.namespace ?? request.object?.metadata?.namespace ?? '',
    ...(request.userInfo ? { userInfo: request.userInfo } : {}),
    dryRun: request.dryRun,
  };
  if (isStatefulSetScale(request)) {
    if (!options.statefulSets || request.operation !== 'UPDATE') return SKIPPED;
    return validateScale(request, options.statefulSets, evaluate);
  }
  const verdict = evaluate(policyRequest);
  return verdict instanceof Promise
    ? verdict.then((settled) => outcomeOf(request, settled))
    : outcomeOf(request, verdict);
}

async function validateScale(
  request: AdmissionRequest,
  statefulSets: StatefulSetSource,
  evaluate: Evaluate,
): Promise<ValidationOutcome> {
  const scale = await translateScale(request, statefulSets);
  if (scale.status === 'nothing-to-judge') return SKIPPED;
  // An I/O failure, not a verdict: the handler answers 500 and the webhook's failurePolicy
  // decides (Fail by default for validation, so an unjudged scale-down is refused).
  if (scale.status === 'unreadable') throw new Error(scale.reason);
  return outcomeOf(request, await evaluate(scale.request));
}

function outcomeOf(request: AdmissionRequest, verdict: Verdict): ValidationOutcome {
  const counted = [
    ...verdict.denials,
    ...verdict.findings.filter(
      (f) => f.mode === 'warn' && (f.outcome === 'fail' || f.outcome === 'warn'),
    ),
    ...verdict.audits,
  ].map((f) => ({ rule: f.rule, mode: f.exempted ? 'exempted' : f.mode }));
  const auditAnnotations = Object.fromEntries(
    verdict.audits.map((f) => [auditKey(f), f.summary.slice(0, 250)]),
  );
  if (!verdict.allowed) {
    return {
      allowed: false,
      code: 403,
      message: denialMessage(request, verdict.denials),
      warnings: verdict.warnings,
      auditAnnotations,
      result: 'denied',
      findings: counted,
    };
  }
  return {
    allowed: true,
    warnings: verdict.warnings,
    auditAnnotations,
    result:
      verdict.warnings.length > 0 ? 'warned' : verdict.findings.length > 0 ? 'allowed' : 'skipped',
    findings: counted,
  };
}

function denialMessage(request: AdmissionRequest, denials: Finding[]): string {
  const object = request.object ?? request.oldObject;
  const kind = isStatefulSetScale(request) ? 'StatefulSet' : request.kind.kind;
  const via = isStatefulSetScale(request) ? ' (through its scale subresource)' : '';
  const name = `${kind} ${request.namespace ?? object?.metadata?.namespace ?? ''}/${object?.metadata?.name ?? request.name ?? ''}${via}`;
  const lines = denials.map((d) => `[${d.rule}] ${d.message}`);
  return `kafka-warden denied ${request.operation} of ${name}:\n${lines.join('\n')}`;
}

/** Audit annotation keys are qualified names; the API server prefixes them with the webhook's name. */
function auditKey(finding: Finding): string {
  return `${finding.rule}${finding.check ? `.${finding.check}` : ''}`
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63);
}
