/**
 * The policy engine: one request in, one verdict out. Shared by the validating webhook, `check` and
 * (through evaluate-release.ts) the post-renderer. It finds the Kafka or ZooKeeper StatefulSet in
 * the request, runs every rule that applies to its role and the operation, and applies each rule's
 * mode and exemptions. Lookups (ConfigMaps, PersistentVolumeClaims, the live cluster) go through
 * injected interfaces with deadlines, which is why evaluation may be asynchronous; everything else
 * is pure. When no rule needs a lookup, which is most requests, the verdict is returned as it is,
 * not in a Promise: the validating webhook then answers without a trip through the microtask queue
 * per rule.
 */
import { DEFAULT_CONFIG } from '../core/config';
import { askClusterState, type ClusterRef, type ClusterStateProbe } from './cluster-state';
import { exemptionBasis, findExemption, type ExemptionBasis } from './exemptions';
import { NO_PLAN_SOURCE, type PlanSource } from './plan-source';
import { DEFAULT_POLICY, settingsFor, type Policy, type RuleSettings } from './policy';
import type { ConfigMapLookup, Rule, RuleContext, RuleResult } from './rule';
import { DEFAULT_RULES } from './rules';
import type { Finding, PolicyRequest, Verdict } from './types';
import type { VolumeClaimLookup, VolumeClaimSource } from './volume-claims';
import { assembleVerdict } from './verdict';
import { describeFailure, withTimeout } from '../async/deadline';
import { viewAfterUpdate, viewWorkload, type Detection, type WorkloadView } from './workload';

export interface EngineOptions {
  /** Default: DEFAULT_POLICY (every rule in its default mode, no exemptions). */
  policy?: Policy;
  /** Where ConfigMaps holding reassignment plans are read. Default: none are found. */
  planSource?: PlanSource;
  /** Where the claims an earlier StatefulSet left are listed. Default: nowhere (nothing is known). */
  volumeClaims?: VolumeClaimSource;
  /** Live cluster checks; without one, rules judge from the manifests alone. */
  clusterState?: ClusterStateProbe;
  /** How Kafka and ZooKeeper are recognised (the injection configuration's `detection`). */
  detection?: Detection;
  /** Default: DEFAULT_RULES. */
  rules?: readonly Rule[];
}

export function evaluate(
  request: PolicyRequest,
  options: EngineOptions = {},
): Verdict | Promise<Verdict> {
  const workloads = selectWorkloads(request, options.detection ?? DEFAULT_CONFIG.detection);
  if (!workloads) return assembleVerdict([]);
  const evaluations: (RuleEvaluation | Promise<RuleEvaluation>)[] = [];
  let pending = false;
  // The same for every rule: made once per request.
  const basis = exemptionBasis(request);
  for (const rule of options.rules ?? DEFAULT_RULES) {
    if (!rule.operations.includes(request.operation)) continue;
    if (!rule.roles.includes(workloads.subject.role)) continue;
    let evaluation: RuleEvaluation | Promise<RuleEvaluation>;
    try {
      evaluation = runRule(rule, request, workloads, basis, options);
    } catch (error) {
      // A throw is a bug in a rule, and fails this evaluation at once. The earlier rules' promises
      // are abandoned with it: one that rejects later would be unhandled, and Node exits on that.
      for (const earlier of evaluations) if (earlier instanceof Promise) earlier.catch(() => {});
      throw error;
    }
    pending ||= evaluation instanceof Promise;
    evaluations.push(evaluation);
  }
  return pending
    ? Promise.all(evaluations.map((e) => Promise.resolve(e))).then(verdictOf)
    : verdictOf(evaluations as RuleEvaluation[]);
}

interface RuleEvaluation {
  findings: Finding[];
  notices: string[];
}

function verdictOf(evaluations: readonly RuleEvaluation[]): Verdict {
  // Loops rather than flatMap: this runs for every validated request.
  const findings: Finding[] = [];
  const notices: string[] = [];
  for (const evaluation of evaluations) {
    for (const finding of evaluation.findings) findings.push(finding);
    for (const notice of evaluation.notices) notices.push(notice);
  }
  return assembleVerdict(findings, notices);
}

interface Workloads {
  current?: WorkloadView;
  previous?: WorkloadView;
  /** The object the request is about: the new one (with the old one's role), or the old on DELETE. */
  subject: WorkloadView;
}

/**
 * The Kafka or ZooKeeper StatefulSet(s) of a request; undefined when the request is about neither.
 * An UPDATE of what was Kafka (or ZooKeeper) is judged as one whatever the new object looks like:
 * otherwise a change could hide from the rules by changing what detection looks at.
 */
export function selectWorkloads(
  request: PolicyRequest,
  detection: Detection,
): Workloads | undefined {
  const previous =
    request.operation === 'CREATE' ? undefined : viewWorkload(request.oldObject, detection);
  if (request.operation === 'DELETE') return previous && { previous, subject: previous };
  if (!previous) {
    // Neither before: judged as created, there is no history to compare with.
    const current = viewWorkload(request.object, detection);
    return current && { current, subject: current };
  }
  const current = viewAfterUpdate(request.object, previous, detection);
  return { ...(current ? { current } : {}), previous, subject: current ?? previous };
}

function runRule(
  rule: Rule,
  request: PolicyRequest,
  workloads: Workloads,
  basis: ExemptionBasis,
  options: EngineOptions,
): RuleEvaluation | Promise<RuleEvaluation> {
  const policy = options.policy ?? DEFAULT_POLICY;
  const settings = settingsFor(policy, rule, request.namespace);
  const volumeClaims = options.volumeClaims;
  const context: RuleContext = {
    request,
    operation: request.operation,
    namespace: request.namespace,
    role: workloads.subject.role,
    ...(workloads.current ? { current: workloads.current } : {}),
    ...(workloads.previous ? { previous: workloads.previous } : {}),
    parameters: settings.parameters,
    ...(settings.configuredMode ? { configuredMode: settings.configuredMode } : {}),
    cluster: clusterOf(workloads.subject, request.namespace),
    readConfigMap: (name) =>
      readConfigMap(options.planSource ?? NO_PLAN_SOURCE, request.namespace, name, policy),
    ...(volumeClaims
      ? { listVolumeClaims: () => listVolumeClaims(volumeClaims, request.namespace, policy) }
      : {}),
    hasClusterProbe: options.clusterState !== undefined,
    askCluster: (what, question) =>
      askClusterState(options.clusterState, settings.clusterState, what, question),
  };
  const results = rule.evaluate(context);
  const judge = (settled: RuleResult[]) =>
    applySettings(rule, settled, settings, request.namespace, basis);
  return results instanceof Promise ? results.then(judge) : judge(results);
}

/** The rule's mode and exemptions, applied to what it found. */
function applySettings(
  rule: Rule,
  results: RuleResult[],
  settings: RuleSettings<object>,
  namespace: string,
  basis: ExemptionBasis,
): RuleEvaluation {
  const exemption = findExemption(rule.id, settings.exemptions, namespace, basis);
  const failing = results.some((r) => r.outcome === 'fail' || r.outcome === 'warn');
  const notices = !exemption.exempt && exemption.notice && failing ? [exemption.notice] : [];
  const findings = results.map((result): Finding => {
    const finding = toFinding(rule, result, result.mode ?? settings.mode);
    if (result.outcome !== 'fail' && result.outcome !== 'warn') return finding;
    if (exemption.exempt) return { ...finding, exempted: exemption.reason };
    if (exemption.notice)
      return { ...finding, message: `${finding.message} (${exemption.notice}.)` };
    return finding;
  });
  return { findings, notices };
}

function toFinding(rule: Rule, result: RuleResult, mode: Finding['mode']): Finding {
  const { outcome, summary, message, check } = result;
  // Two literals rather than a spread: this runs for every result of every request.
  return check
    ? { rule: rule.id, check, outcome, mode, summary, message }
    : { rule: rule.id, outcome, mode, summary, message };
}

function clusterOf(view: WorkloadView, namespace: string): ClusterRef {
  return {
    namespace,
    statefulSet: view.name,
    ...(view.spec.serviceName ? { serviceName: view.spec.serviceName } : {}),
  };
}

async function readConfigMap(
  source: PlanSource,
  namespace: string,
  name: string,
  policy: Policy,
): Promise<ConfigMapLookup> {
  try {
    const data = await withTimeout(
      `reading ConfigMap ${namespace}/${name}`,
      policy.lookups.timeoutMs,
      (signal) => source.readConfigMap(namespace, name, signal),
    );
    return data ? { status: 'found', data } : { status: 'missing' };
  } catch (error) {
    return { status: 'failed', reason: describeFailure(error) };
  }
}

async function listVolumeClaims(
  source: VolumeClaimSource,
  namespace: string,
  policy: Policy,
): Promise<VolumeClaimLookup> {
  try {
    const names = await withTimeout(
      `listing the PersistentVolumeClaims of namespace ${namespace}`,
      policy.lookups.timeoutMs,
      (signal) => source.listClaimNames(namespace, signal),
    );
    return { status: 'listed', names };
  } catch (error) {
    return { status: 'failed', reason: describeFailure(error) };
  }
}
