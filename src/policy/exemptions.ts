/**
 * Whether a workload is exempt from a rule: by namespace, by a label selector, or by the annotation
 * kafka-warden.io/exempt-<rule-id>, which must say why. An exempt workload is still evaluated; its
 * failing findings are audited instead of denied, so every use of an exemption leaves a record.
 *
 * Labels and annotations are read from the object as it was before the change (UPDATE, DELETE):
 * whoever makes a change cannot exempt that change by writing the exemption into it. An exemption
 * the object already had was itself admitted earlier, as a change of its own. CREATE has no "before",
 * so the created object's own labels and annotations count; a platform that wants exemptions from
 * the policy file alone sets `exemptions.annotation: false` and exempts by namespace.
 */
import type { KubeObject } from '../core/k8s-types';
import { selectorMatches } from './label-selector';
import type { Exemptions } from './policy';
import type { PolicyRequest } from './types';

export const EXEMPT_ANNOTATION_PREFIX = 'kafka-warden.io/exempt-';

export type ExemptionCheck = { exempt: true; reason: string } | { exempt: false; notice?: string };

/** The metadata exemptions are read from. */
export interface Labelled {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
}

export interface ExemptionBasis {
  /** Where exemptions count: the object before the change; on CREATE, the object created. */
  standing: Labelled;
  /** The object after an UPDATE: an exemption only it carries is named in a notice, never applied. */
  proposed?: Labelled;
}

const NOTHING: Labelled = { labels: {}, annotations: {} };

export function exemptionAnnotation(ruleId: string): string {
  return `${EXEMPT_ANNOTATION_PREFIX}${ruleId}`;
}

export function exemptionBasis(request: PolicyRequest): ExemptionBasis {
  switch (request.operation) {
    case 'CREATE':
      return { standing: labelled(request.object) };
    case 'DELETE':
      return { standing: labelled(request.oldObject) };
    case 'UPDATE':
      // Without the old object nothing is known to have been there before: nothing counts.
      return { standing: labelled(request.oldObject), proposed: labelled(request.object) };
  }
}

function labelled(object: KubeObject | null | undefined): Labelled {
  const metadata = object?.metadata;
  if (!metadata) return NOTHING;
  return { labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {} };
}

export function findExemption(
  ruleId: string,
  exemptions: readonly Exemptions[],
  namespace: string,
  { standing, proposed }: ExemptionBasis,
): ExemptionCheck {
  for (const exemption of exemptions) {
    if (exemption.namespaces?.includes(namespace)) {
      return { exempt: true, reason: `namespace ${namespace} is exempt by policy` };
    }
    if (exemption.selector && selectorMatches(exemption.selector, standing.labels)) {
      return { exempt: true, reason: 'labels match the exemption selector of the policy' };
    }
  }
  const name = exemptionAnnotation(ruleId);
  const value = standing.annotations[name];
  const added = value === undefined ? proposed?.annotations[name] : undefined;
  if (value === undefined && added === undefined) {
    return selectedOnlyAfter(exemptions, proposed)
      ? {
          exempt: false,
          notice:
            'labels this change adds match an exemption selector; only the labels it had count',
        }
      : { exempt: false };
  }
  if (exemptions.some((e) => e.annotation === false)) {
    return { exempt: false, notice: `${name} is ignored: the policy does not allow it` };
  }
  if (value === undefined) {
    return {
      exempt: false,
      notice: `${name} is ignored: this change adds it; only an exemption the object had counts`,
    };
  }
  if (value.trim() === '') {
    return { exempt: false, notice: `${name} is ignored: it needs a reason as its value` };
  }
  return { exempt: true, reason: `${name}: ${value.trim()}` };
}

function selectedOnlyAfter(exemptions: readonly Exemptions[], proposed: Labelled | undefined) {
  if (!proposed) return false;
  return exemptions.some((e) => e.selector && selectorMatches(e.selector, proposed.labels));
}
