/**
 * The policy engine's vocabulary. A request is what an AdmissionReview carries (or what `check`
 * builds from two renders); a verdict is data, so the validating webhook, `check` and the
 * post-renderer can each present the same decision their own way.
 */
import type { KubeObject } from '../core/k8s-types';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

/**
 * What a failing finding does: `enforce` denies, `warn` allows with a short warning, `audit`
 * allows and records the finding for logs and metrics only.
 */
export type Mode = 'enforce' | 'warn' | 'audit';

/**
 * What a rule concluded. `warn` is the rule's own judgement that something is risky but not wrong
 * (it never denies, whatever the mode); `skip` means the rule could not judge and says why.
 */
export type Outcome = 'pass' | 'fail' | 'warn' | 'skip';

/** The requesting user, as admission/v1 `request.userInfo` carries it. */
export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface PolicyRequest {
  operation: Operation;
  /** The object after the change (CREATE, UPDATE); admission sends none on DELETE. */
  object?: KubeObject | null;
  /** The object before the change (UPDATE, DELETE). */
  oldObject?: KubeObject | null;
  namespace: string;
  userInfo?: UserInfo;
  /** No rule has side effects, so dry runs are judged exactly like real requests. */
  dryRun?: boolean;
}

export interface Finding {
  rule: string;
  /** Which of a rule's checks spoke, for rules with several (config-sanity). */
  check?: string;
  outcome: Outcome;
  mode: Mode;
  /** One short line (admission warnings are best kept to 120 characters). */
  summary: string;
  /** What is wrong, why it is unsafe, and how to proceed safely. */
  message: string;
  /** Set when an exemption applied: its reason. The finding is then audited, never denied. */
  exempted?: string;
}

export interface Verdict {
  allowed: boolean;
  /** Failing findings in enforce mode, not exempted. */
  denials: Finding[];
  /** Short texts (each at most 120 characters) for admission warnings and `check` output. */
  warnings: string[];
  /** Findings in audit mode and exempted findings, for logs and metrics. */
  audits: Finding[];
  /** Every finding, passes and skips included. */
  findings: Finding[];
}

export const WARNING_MAX_LENGTH = 120;
