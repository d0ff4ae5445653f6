/**
 * `kafka-warden check`: the policy engine over manifest files, for CI and for a look before
 * `helm upgrade`. The same path as the post-renderer's (evaluateRelease); the ConfigMaps in the
 * new manifests serve as the plan source.
 *
 * Exit codes are a contract for CI: 0 nothing enforced failed, 1 something did, 2 the command
 * could not judge (usage, unreadable or invalid input or policy). src/cli.ts maps WardenErrors
 * other than KW_USAGE to 1, which here would read as "denied", so input errors are reported here.
 */
import { readFileSync } from 'node:fs';
import { resolveConfig, type WardenConfig } from '../core/config';
import { WardenError } from '../core/errors';
import type { KubeObject } from '../core/k8s-types';
import type { Notice } from '../core/notices';
import { transformManifests } from '../core/transform-manifests';
import { evaluateRelease, type ObjectVerdict } from '../policy/evaluate-release';
import { parseManifests, type SourcedObject } from '../policy/parse-manifests';
import { configMapPlanSource } from '../policy/plan-source';
import type { Policy } from '../policy/policy';
import type { Finding } from '../policy/types';
import { effectOf } from '../policy/verdict';
import { parseCommandArgs } from './parse-args';

export const HELP = `usage: kafka-warden check [--policy FILE] [--config FILE] [--old OLD.yaml]...
                          [--namespace NS] [--output text|json] NEW.yaml...

Checks the Kafka and ZooKeeper StatefulSets in NEW.yaml (a file, or - for standard input) against
the upgrade and scaling policy. Without --old each is judged as created; with --old (the release
as it runs now, e.g. "helm get manifest"), objects are paired by kind, namespace and name: in both
files an update, only in OLD a deletion, only in NEW a creation.

  --policy FILE     platform policy (docs/policy.md); default: every rule in its default mode
  --config FILE     injection configuration (as for render): NEW.yaml's notices, what the
                    transformation would leave alone and the setting that changes it, are
                    reported (default configuration without it)
  --old FILE        the current manifests (repeatable)
  --namespace NS    namespace of objects that name none (default: default)
  --output FORMAT   text (default) or json

Exit status: 0 allowed, 1 an enforced rule failed, 2 usage or input error.
`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      policy: { type: 'string', short: 'p' },
      config: { type: 'string' },
      old: { type: 'string', multiple: true },
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') {
    throw new WardenError('KW_USAGE', `--output must be text or json, not "${output}"`);
  }
  if (positionals.length === 0) {
    throw new WardenError('KW_USAGE', `no manifest file given\n${HELP}`);
  }
  let results: ObjectVerdict[];
  let notices: Notice[];
  try {
    ({ results, notices } = await checkFiles({
      newFiles: positionals,
      oldFiles: values.old,
      policyPath: values.policy,
      configPath: values.config,
      namespace: values.namespace ?? 'default',
    }));
  } catch (error) {
    if (!(error instanceof WardenError) || error.code === 'KW_USAGE') throw error;
    process.stderr.write(`kafka-warden check: ${error.code}: ${error.message}\n`);
    return 2;
  }
  process.stdout.write(
    output === 'json' ? formatJson(results, notices) : formatText(results, notices),
  );
  return results.every((r) => r.verdict.allowed) ? 0 : 1;
}

interface CheckFiles {
  newFiles: string[];
  oldFiles: string[] | undefined;
  policyPath: string | undefined;
  configPath: string | undefined;
  namespace: string;
}

async function checkFiles(
  options: CheckFiles,
): Promise<{ results: ObjectVerdict[]; notices: Notice[] }> {
  const policy = await loadPolicy(options.policyPath);
  const config = await loadConfig(options.configPath);
  const current = readAll(options.newFiles, true);
  const previous = options.oldFiles ? readAll(options.oldFiles, false) : undefined;
  const origins = new Map<KubeObject, string>();
  for (const { object, origin } of [...current, ...(previous ?? [])]) origins.set(object, origin);
  const objects = current.map((s) => s.object);
  const results = await evaluateRelease({
    objects,
    ...(previous ? { previousObjects: previous.map((s) => s.object) } : {}),
    ...(policy ? { policy } : {}),
    planSource: configMapPlanSource(objects, options.namespace),
    namespace: options.namespace,
    origin: (object) => origins.get(object),
  });
  return { results, notices: noticesOf(objects, config) };
}

/**
 * The post-renderer's notices for the same manifests: the transformation runs on a copy. A
 * manifest it refuses is render's to report (with its code); check judges the policy.
 */
function noticesOf(objects: KubeObject[], config: WardenConfig): Notice[] {
  try {
    return transformManifests(structuredClone(objects), config).notices;
  } catch (error) {
    if (error instanceof WardenError) return [];
    throw error;
  }
}

async function loadConfig(path: string | undefined): Promise<WardenConfig> {
  if (!path) return resolveConfig();
  // Loaded only when needed, as the policy: schema compilation is slow at start-up.
  const { loadConfigFile } = await import('../config/load-config');
  return loadConfigFile(path);
}

async function loadPolicy(path: string | undefined): Promise<Policy | undefined> {
  if (!path) return undefined;
  // Loaded only when needed: schema compilation is the slowest part of start-up.
  const { loadPolicyFile } = await import('../config/load-policy');
  return loadPolicyFile(path);
}

/** New manifests must hold something; old ones may be empty (a first install). */
function readAll(files: string[], mustHoldObjects: boolean): SourcedObject[] {
  const objects: SourcedObject[] = [];
  for (const file of files) {
    const name = file === '-' ? '(standard input)' : file;
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (error) {
      throw new WardenError('KW_INPUT_READ', `cannot read ${name}: ${(error as Error).message}`);
    }
    const parsed = parseManifests(text, name);
    if (mustHoldObjects && parsed.length === 0) {
      throw new WardenError('KW_INPUT_EMPTY', `${name} holds no Kubernetes manifest`);
    }
    objects.push(...parsed);
  }
  return objects;
}

const LABELS = { deny: 'DENY', warn: 'WARN', audit: 'AUDIT' } as const;

function formatText(results: ObjectVerdict[], notices: Notice[]): string {
  const lines: string[] = notices.map((n) => `NOTICE ${n.message}`);
  for (const result of results) {
    for (const finding of result.verdict.findings) {
      const effect = effectOf(finding);
      if (!effect) continue;
      const exempted = finding.exempted ? ` (exempted: ${finding.exempted})` : '';
      lines.push(
        `${LABELS[effect]} ${result.kind}/${result.name} ${ruleName(finding)}: ${finding.message}${exempted}`,
      );
    }
  }
  const counts = count(results);
  lines.push(
    `${counts.denied > 0 ? 'denied' : 'allowed'}: ${counts.workloads} workload(s) checked ` +
      `(${operations(results)}), ${counts.denied} denied; ${counts.denials} denial(s), ` +
      `${counts.warnings} warning(s), ${counts.audits} audit(s)`,
  );
  return `${lines.join('\n')}\n`;
}

function ruleName(finding: Finding): string {
  return finding.check ? `${finding.rule}/${finding.check}` : finding.rule;
}

function operations(results: ObjectVerdict[]): string {
  const byOperation = new Map<string, number>();
  for (const r of results) byOperation.set(r.operation, (byOperation.get(r.operation) ?? 0) + 1);
  return [...byOperation].map(([op, n]) => `${n} ${op}`).join(', ') || 'none';
}

function count(results: ObjectVerdict[]) {
  const findings = results.flatMap((r) => r.verdict.findings.map(effectOf));
  return {
    workloads: results.length,
    denied: results.filter((r) => !r.verdict.allowed).length,
    denials: findings.filter((e) => e === 'deny').length,
    warnings: findings.filter((e) => e === 'warn').length,
    audits: findings.filter((e) => e === 'audit').length,
  };
}

/** Stable, versioned machine-readable output: field order and names are part of the contract. */
function formatJson(results: ObjectVerdict[], notices: Notice[]): string {
  const report = {
    apiVersion: 'kafka-warden.io/v1alpha1',
    kind: 'CheckReport',
    allowed: results.every((r) => r.verdict.allowed),
    summary: count(results),
    results: results.map((r) => ({
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      operation: r.operation,
      allowed: r.verdict.allowed,
      denials: r.verdict.denials,
      warnings: r.verdict.warnings,
      audits: r.verdict.audits,
      findings: r.verdict.findings,
    })),
    // Last: the fields before it keep their order for existing readers.
    notices,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
