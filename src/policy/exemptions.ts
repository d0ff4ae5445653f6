/**
 * Whether a workload is exempt from a rule: by namespace, by a label selector, or by the annotation
 * kafka-warden.io/exempt-<rule-id>, which must say why. An exempt workload is still evaluated; its
 * failing findings are audited instead of denied, so every use of an exemption leaves a record.
 */
import { selectorMatches } from './label-selector';
import type { Exemptions } from './policy';
import type { WorkloadView } from './workload';

export const EXEMPT_ANNOTATION_PREFIX = 'kafka-warden.io/exempt-';

export type ExemptionCheck = { exempt: true; reason: string } | { exempt: false; notice?: string };

export function exemptionAnnotation(ruleId: string): string {
  return `${EXEMPT_ANNOTATION_PREFIX}${ruleId}`;
}

export function findExemption(
  ruleId: string,
  exemptions: readonly Exemptions[],
  namespace: string,
  target: WorkloadView,
): ExemptionCheck {
  for (const exemption of exemptions) {
    if (exemption.namespaces?.includes(namespace)) {
      return { exempt: true, reason: `namespace ${namespace} is exempt by policy` };
    }
    if (exemption.selector && selectorMatches(exemption.selector, target.labels)) {
      return { exempt: true, reason: 'labels match the exemption selector of the policy' };
    }
  }
  const name = exemptionAnnotation(ruleId);
  const value = target.annotations[name];
  if (value === undefined) return { exempt: false };
  if (exemptions.some((e) => e.annotation === false)) {
    return { exempt: false, notice: `${name} is ignored: the policy does not allow it` };
  }
  if (value.trim() === '') {
    return { exempt: false, notice: `${name} is ignored: it needs a reason as its value` };
  }
  return { exempt: true, reason: `${name}: ${value.trim()}` };
}
