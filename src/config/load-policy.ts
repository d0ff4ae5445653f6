/**
 * Reads and validates a platform policy file against the published schema (policy-schema.json).
 * Parsing is pure and throws WardenError KW_POLICY_INVALID naming each wrong field, so the webhook
 * server can keep its last valid policy when a reload fails.
 */
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { WardenError } from '../core/errors';
import { loadYaml11 } from '../manifests/yaml11';
import type { Selector } from '../policy/label-selector';
import {
  DEFAULT_POLICY,
  type Exemptions,
  type Policy,
  type RulePolicy,
  type RuleOverride,
} from '../policy/policy';
import schema from './policy-schema.json';

/** A policy file's content, as the schema allows it. */
export interface PolicyFile {
  rules?: Record<string, RulePolicy>;
  exemptions?: Exemptions;
  namespaceOverrides?: Record<string, Record<string, RuleOverride>>;
  clusterState?: Partial<Policy['clusterState']>;
  lookups?: Partial<Policy['lookups']>;
}

export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WardenError(
      'KW_POLICY_READ',
      `cannot read policy ${path}: ${(error as Error).message}`,
    );
  }
  return parsePolicy(text, path);
}

export function parsePolicy(text: string, source: string): Policy {
  let data: unknown;
  try {
    data = loadYaml11(text) ?? {};
  } catch (error) {
    throw new WardenError(
      'KW_POLICY_INVALID',
      `${source}: not valid YAML: ${(error as Error).message}`,
    );
  }
  return resolvePolicy(validatePolicy(data, source));
}

let compiled: ValidateFunction<PolicyFile> | undefined;

export function validatePolicy(data: unknown, source: string): PolicyFile {
  // verbose: errors carry their schema, so an unknown key can be answered with the known ones.
  compiled ??= new Ajv({ allErrors: true, strict: true, verbose: true }).compile<PolicyFile>(
    schema,
  );
  const problems = compiled(data) ? selectorProblems(data) : (compiled.errors ?? []).map(describe);
  if (problems.length === 0) return data as PolicyFile;
  throw new WardenError(
    'KW_POLICY_INVALID',
    `${source}: invalid policy:\n  ${[...new Set(problems)].join('\n  ')}`,
  );
}

export function resolvePolicy(file: PolicyFile): Policy {
  return {
    rules: file.rules ?? {},
    exemptions: file.exemptions ?? {},
    namespaceOverrides: file.namespaceOverrides ?? {},
    clusterState: { ...DEFAULT_POLICY.clusterState, ...file.clusterState },
    lookups: { ...DEFAULT_POLICY.lookups, ...file.lookups },
  };
}

/** What JSON Schema cannot say clearly: which operators need values and which must have none. */
function selectorProblems(file: PolicyFile): string[] {
  const selectors: [string, Selector | undefined][] = [
    ['exemptions.selector', file.exemptions?.selector],
  ];
  for (const [id, rule] of Object.entries(file.rules ?? {})) {
    selectors.push([`rules.${id}.exemptions.selector`, rule.exemptions?.selector]);
  }
  const problems: string[] = [];
  for (const [path, selector] of selectors) {
    for (const [index, req] of (selector?.matchExpressions ?? []).entries()) {
      const field = `${path}.matchExpressions.${index}.values`;
      const needsValues = req.operator === 'In' || req.operator === 'NotIn';
      const count = req.values?.length ?? 0;
      if (needsValues && count === 0)
        problems.push(`${field}: required (non-empty) for operator ${req.operator}`);
      if (!needsValues && count > 0)
        problems.push(`${field}: must be empty for operator ${req.operator}`);
    }
  }
  return problems;
}

function describe(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const field = path || '(top level)';
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      return `${path ? `${path}.` : ''}${extra}: unknown field${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`;
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return `${field}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'propertyNames': {
      const name = (error.params as { propertyName: string }).propertyName;
      return `${path ? `${path}.` : ''}${name}: not a namespace name`;
    }
    default:
      return `${field}: ${error.message ?? error.keyword}`;
  }
}
