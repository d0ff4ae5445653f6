/**
 * The platform policy as data: per rule a mode, parameters and exemptions, per namespace
 * overrides, and the time limits of lookups. src/config/load-policy.ts reads it from YAML
 * (validated against src/config/policy-schema.json); without a file, DEFAULT_POLICY applies and
 * every rule runs in its default mode.
 */
import { isRecord } from '../core/k8s-types';
import type { ClusterStateSettings } from './cluster-state';
import type { Selector } from './label-selector';
import type { Rule } from './rule';
import type { Mode } from './types';

export interface Exemptions {
  /** Namespaces the rule does not apply to (its findings are audited instead). */
  namespaces?: string[];
  /** Objects whose labels match are exempt. */
  selector?: Selector;
  /** Honour the kafka-warden.io/exempt-<rule-id> annotation (default true). */
  annotation?: boolean;
}

export interface RuleOverride {
  mode?: Mode;
  parameters?: Record<string, unknown>;
}

export interface RulePolicy extends RuleOverride {
  exemptions?: Exemptions;
  /** This rule's live checks: overrides the policy-wide `clusterState` field by field. */
  clusterState?: Partial<ClusterStateSettings>;
}

export interface Policy {
  rules: Record<string, RulePolicy>;
  /** Exemptions from every rule, in addition to each rule's own. */
  exemptions: Exemptions;
  /** Per namespace, per rule: a different mode or parameters. */
  namespaceOverrides: Record<string, Record<string, RuleOverride>>;
  clusterState: ClusterStateSettings;
  /** Deadline for each PlanSource lookup. */
  lookups: { timeoutMs: number };
}

export const DEFAULT_POLICY: Policy = {
  rules: {},
  exemptions: {},
  namespaceOverrides: {},
  // Open by default: the probe adds to the checks on the manifests, it does not replace them.
  clusterState: { timeoutMs: 2000, failOpen: true },
  lookups: { timeoutMs: 3000 },
};

export interface RuleSettings<P extends object> {
  mode: Mode;
  /** Set when the policy chose the mode (the rule's default otherwise). */
  configuredMode?: Mode;
  parameters: P;
  exemptions: Exemptions[];
  /** The policy-wide clusterState overlaid by the rule's own; `setting` names where failOpen came from. */
  clusterState: ClusterStateSettings & { setting: string };
}

/**
 * The rule's settings in a namespace: defaults, then the policy's rule entry, then the override.
 * Settings depend on the policy, the rule and the namespace only, and a loaded policy is never
 * changed (a reload makes a new one), so they are worked out once per combination: the validating
 * webhook asks for every rule on every request.
 */
const settingsCache = new WeakMap<
  Policy,
  WeakMap<Rule<object>, Map<string, RuleSettings<object>>>
>();
/** Namespaces seen per policy and rule before the cache starts over (a bound, not an expectation). */
const SETTINGS_CACHE_NAMESPACES = 1024;

export function settingsFor<P extends object>(
  policy: Policy,
  rule: Rule<P>,
  namespace: string,
): RuleSettings<P> {
  let byRule = settingsCache.get(policy);
  if (!byRule) settingsCache.set(policy, (byRule = new WeakMap()));
  let byNamespace = byRule.get(rule);
  if (!byNamespace) byRule.set(rule, (byNamespace = new Map<string, RuleSettings<object>>()));
  const cached = byNamespace.get(namespace);
  if (cached) return cached as RuleSettings<P>;
  if (byNamespace.size >= SETTINGS_CACHE_NAMESPACES) byNamespace.clear();
  const settings = computeSettings(policy, rule, namespace);
  byNamespace.set(namespace, settings);
  return settings;
}

function computeSettings<P extends object>(
  policy: Policy,
  rule: Rule<P>,
  namespace: string,
): RuleSettings<P> {
  const base = policy.rules[rule.id] ?? {};
  const override = policy.namespaceOverrides[namespace]?.[rule.id] ?? {};
  const configuredMode = override.mode ?? base.mode;
  const parameters = mergeParameters(
    mergeParameters(rule.defaultParameters as Record<string, unknown>, base.parameters),
    override.parameters,
  ) as P;
  return {
    mode: configuredMode ?? rule.defaultMode,
    ...(configuredMode ? { configuredMode } : {}),
    parameters,
    exemptions: [policy.exemptions, base.exemptions ?? {}],
    clusterState: {
      ...policy.clusterState,
      ...base.clusterState,
      setting:
        base.clusterState?.failOpen === undefined
          ? 'clusterState.failOpen'
          : `rules.${rule.id}.clusterState.failOpen`,
    },
  };
}

/** Nested maps merge key by key; anything else (lists included) replaces. */
export function mergeParameters(
  base: Record<string, unknown>,
  over: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over ?? {})) {
    const current = merged[key];
    merged[key] = isRecord(current) && isRecord(value) ? mergeParameters(current, value) : value;
  }
  return merged;
}
