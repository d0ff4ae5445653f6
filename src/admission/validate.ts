/**
 * The validating webhook's decision: an AdmissionRequest handed to the policy engine, its Verdict
 * turned into an admission answer. A denial names every rule that denied with its full message
 * (what is wrong, why it is unsafe, how to proceed); warnings go back as admission warnings;
 * audited findings are allowed and recorded as audit annotations.
 */
import type { Verdict, PolicyRequest, Finding } from '../policy/types';
import type { ValidationOutcome } from '../server/app';
import type { AdmissionRequest } from './review';

export type Evaluate = (request: PolicyRequest) => Promise<Verdict>;

export async function validate(
  request: AdmissionRequest,
  evaluate: Evaluate,
): Promise<ValidationOutcome> {
  if (request.operation === 'CONNECT') return { allowed: true, result: 'skipped', findings: [] };
  const verdict = await evaluate({
    operation: request.operation,
    object: request.object ?? null,
    oldObject: request.oldObject ?? null,
    namespace: request.namespace ?? request.object?.metadata?.namespace ?? '',
    ...(request.userInfo ? { userInfo: request.userInfo } : {}),
    dryRun: request.dryRun,
  });
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
  const name = `${request.kind.kind} ${request.namespace ?? object?.metadata?.namespace ?? ''}/${object?.metadata?.name ?? request.name ?? ''}`;
  const lines = denials.map((d) => `[${d.rule}] ${d.message}`);
  return `kafka-warden denied ${request.operation} of ${name}:\n${lines.join('\n')}`;
}

/** Audit annotation keys are qualified names; the API server prefixes them with the webhook's name. */
function auditKey(finding: Finding): string {
  return `${finding.rule}${finding.check ? `.${finding.check}` : ''}`
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63);
}
