/**
 * The roll after a renewal: pure decisions about when the issuer patches a broker StatefulSet's pod
 * template and with what. broker-roll.ts states the whole algorithm and runs it.
 *
 * A renewal marks the broker Secret `kafka-warden.io/tls-roll-pending` in the same PUT that writes
 * the new material, so "these brokers still run the old keystore" is recorded atomically with the
 * material and survives a restart of the issuer, a refused patch and a replica that dies between
 * the two writes. The first issuance never sets it (no broker has started on anything older), so
 * creating a cluster never causes a roll, and neither does a pass that changed nothing.
 */
import type { KubeObject, StatefulSetSpec } from '../../core/k8s-types';
import { readStatus } from '../../core/injection-status';
import { CONTENT_HASH_ANNOTATION } from '../../core/tls-wiring';
import { ANNOTATIONS } from '../../tls';
import { MANAGED_BY, metadataMaps } from '../../tls/secret';

/** On a broker Secret: its material changed after brokers loaded it; the value is the new hash. */
export const ROLL_PENDING_ANNOTATION = 'kafka-warden.io/tls-roll-pending';

export interface TemplateHashPatch {
  spec: { template: { metadata: { annotations: Record<string, string> } } };
}

export interface RollPlan {
  /** The value the pod template must carry: the broker Secret's content hash. */
  hash: string;
  /** A JSON merge patch, or null when the template already carries the hash (another replica). */
  patch: TemplateHashPatch | null;
  /** Why the controller may not restart every broker by itself after the patch. */
  caveats: string[];
  /**
   * The template's `kafka-warden.io/status` says kafka-warden's transformation set the annotation:
   * configuration `tls.contentHash` (post-renderer, or the webhook with --mutate-statefulsets)
   * also writes it, and the next `helm upgrade` writes that value back.
   */
  writtenByRelease: boolean;
}

/** The broker Secret's content hash when it carries the roll mark; null otherwise. */
export function pendingRoll(secret: unknown): string | null {
  const { labels, annotations } = metadataMaps(secret);
  const [key, value] = Object.entries(MANAGED_BY)[0] as [string, string];
  if (labels[key] !== value || annotations[ANNOTATIONS.kind] !== 'broker') return null;
  if (!annotations[ROLL_PENDING_ANNOTATION]) return null;
  return annotations[ANNOTATIONS.contentHash] || null;
}

/** What the roll does next with the broker Secret as read; null: nothing (left) to do. */
export interface RollStep {
  /** The hash the pod template must carry. */
  hash: string;
  /** The Secret carries the roll mark, to be cleared once the template carries `hash`. */
  marked: boolean;
}

/**
 * The next step, given the hash this replica's patch already wrote in this roll (undefined before
 * the first): the marked Secret's hash; or, unmarked but renewed again since our patch, its current
 * hash, so a stale value never stays on the template.
 */
export function nextRollStep(secret: unknown, patchedWith: string | undefined): RollStep | null {
  const pending = pendingRoll(secret);
  const current = metadataMaps(secret).annotations[ANNOTATIONS.contentHash];
  const hash = pending ?? (patchedWith !== undefined ? current : undefined);
  if (!hash || (!pending && hash === patchedWith)) return null;
  return { hash, marked: pending !== null };
}

/** The merge patch that sets the pod template's hash annotation and nothing else. */
export function templateHashPatch(hash: string): TemplateHashPatch {
  return { spec: { template: { metadata: { annotations: { [CONTENT_HASH_ANNOTATION]: hash } } } } };
}

/** The pod template's hash annotation as the StatefulSet holds it. */
export function templateHash(statefulSet: KubeObject): string | undefined {
  const spec = (statefulSet.spec ?? {}) as StatefulSetSpec;
  return spec.template?.metadata?.annotations?.[CONTENT_HASH_ANNOTATION];
}

export function planRoll(statefulSet: KubeObject, hash: string): RollPlan {
  const spec = (statefulSet.spec ?? {}) as StatefulSetSpec;
  const caveats: string[] = [];
  const strategy = spec.updateStrategy?.type ?? 'RollingUpdate';
  if (strategy === 'OnDelete') {
    caveats.push(
      'updateStrategy OnDelete: the controller restarts no broker; delete the pods one at a time, ' +
        'each after the previous is Ready',
    );
  }
  const partition = spec.updateStrategy?.rollingUpdate?.partition;
  if (strategy === 'RollingUpdate' && typeof partition === 'number' && partition > 0) {
    caveats.push(
      `rollingUpdate.partition ${partition}: only brokers with an ordinal ≥ ${partition} restart`,
    );
  }
  const status = readStatus(spec.template?.metadata);
  return {
    hash,
    patch: templateHash(statefulSet) === hash ? null : templateHashPatch(hash),
    caveats,
    writtenByRelease: status?.annotations?.includes(CONTENT_HASH_ANNOTATION) ?? false,
  };
}

/** The Secret as read, without the roll mark: the body of the conditional update that clears it. */
export function withoutRollMark<T extends { metadata?: { annotations?: Record<string, string> } }>(
  secret: T,
): T {
  const annotations = { ...secret.metadata?.annotations };
  delete annotations[ROLL_PENDING_ANNOTATION];
  return { ...secret, metadata: { ...secret.metadata, annotations } };
}

/**
 * Exponential backoff for a StatefulSet whose patch was refused (a validating webhook's rule, e.g.
 * partitions under-replicated, or RBAC): from `initialMs`, doubling, at most `maxMs`. A change of
 * the StatefulSet's spec (its `metadata.generation`) may have removed the reason, so it allows a
 * retry at once.
 */
export class RollBackoff {
  private readonly entries = new Map<
    string,
    { generation: unknown; delayMs: number; at: number }
  >();

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  /** Milliseconds still to wait before the next attempt; 0 when it may go now. */
  remaining(key: string, generation: unknown, now: number): number {
    const entry = this.entries.get(key);
    if (!entry || entry.generation !== generation) return 0;
    return Math.max(entry.at - now, 0);
  }

  /** Records a refusal; returns when the next attempt is due. */
  refused(key: string, generation: unknown, now: number): Date {
    const previous = this.entries.get(key);
    const delayMs =
      previous && previous.generation === generation
        ? Math.min(previous.delayMs * 2, this.maxMs)
        : this.initialMs;
    this.entries.set(key, { generation, delayMs, at: now + delayMs });
    return new Date(now + delayMs);
  }

  succeeded(key: string): void {
    this.entries.delete(key);
  }
}
