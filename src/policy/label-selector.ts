/** Kubernetes label selector semantics (metav1.LabelSelector), for exemptions by label. */
import type { Labels } from '../core/k8s-types';

export interface SelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface Selector {
  matchLabels?: Labels;
  matchExpressions?: SelectorRequirement[];
}

/** All requirements must hold (AND), as in Kubernetes. */
export function selectorMatches(selector: Selector, labels: Readonly<Labels>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabel && (selector.matchExpressions ?? []).every((req) => requirementHolds(req, labels));
}

function requirementHolds(req: SelectorRequirement, labels: Readonly<Labels>): boolean {
  const has = Object.hasOwn(labels, req.key);
  switch (req.operator) {
    case 'In':
      return has && (req.values ?? []).includes(labels[req.key] as string);
    case 'NotIn':
      return !has || !(req.values ?? []).includes(labels[req.key] as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}
