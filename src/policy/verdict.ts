/** Turns findings into a decision: what denies, what warns, what is only recorded. */
import type { Finding, Verdict } from './types';
import { WARNING_MAX_LENGTH } from './types';

export function assembleVerdict(findings: Finding[], notices: readonly string[] = []): Verdict {
  const denials: Finding[] = [];
  const audits: Finding[] = [];
  const warnings: string[] = [];
  for (const finding of findings) {
    const effect = effectOf(finding);
    if (effect === 'audit') audits.push(finding);
    else if (effect === 'deny') denials.push(finding);
    else if (effect === 'warn') warnings.push(shorten(`${finding.rule}: ${finding.summary}`));
  }
  for (const notice of notices) warnings.push(shorten(notice));
  return { allowed: denials.length === 0, denials, warnings, audits, findings };
}

export type Effect = 'deny' | 'warn' | 'audit';

/**
 * What a finding does to the request. Exempted findings are audited whatever their mode, so every
 * use of an exemption is on record; a rule's own `warn` outcome never denies.
 */
export function effectOf(finding: Finding): Effect | undefined {
  if (finding.outcome === 'pass' || finding.outcome === 'skip') return undefined;
  if (finding.exempted !== undefined || finding.mode === 'audit') return 'audit';
  return finding.outcome === 'fail' && finding.mode === 'enforce' ? 'deny' : 'warn';
}

/** Admission warnings are best kept to 120 characters each (the API server allows 256). */
export function shorten(text: string, max = WARNING_MAX_LENGTH): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1).trimEnd()}…`;
}
