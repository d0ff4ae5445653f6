/**
 * "Is this Secret due for new material?" from its annotations alone: a controller asks it for every
 * Secret it manages without holding a store password or decrypting anything.
 */
import { filesFromSecret, ANNOTATIONS, contentHash, MANAGED_BY, metadataMaps } from './secret';
import { DEFAULT_RENEW_BEFORE_DAYS, renewalStart } from './validity';

export type RenewalReason =
  /** Not made by kafka-warden (no managed-by label): never replaced behind its owner's back. */
  | 'not-managed'
  /** Made by kafka-warden, but annotations are missing or unreadable: reissue rather than guess. */
  | 'unreadable'
  /** The data no longer matches the recorded content hash: edited by hand. */
  | 'content-changed'
  | 'expired'
  | 'expiring'
  /** Signed by another CA than the one now issuing (a CA rotation is under way). */
  | 'ca-changed'
  /** A name the cluster needs (e.g. a broker added by a scale-up) is not in the certificate. */
  | 'names-missing'
  | 'current';

export interface RenewalDecision {
  renew: boolean;
  reason: RenewalReason;
  notAfter: Date | null;
  /** From when it is due; null when the annotations do not say. */
  renewFrom: Date | null;
}

export interface RenewalExpectations {
  /** SHA-256 of the CA that should have signed the material. */
  issuerFingerprint?: string;
  /** Names the certificate must hold (from brokerSubjectAltNames); more is fine. */
  subjectAltNames?: string[];
}

export function needsRenewal(
  secret: unknown,
  now: Date,
  renewBeforeDays: number = DEFAULT_RENEW_BEFORE_DAYS,
  expected: RenewalExpectations = {},
): RenewalDecision {
  const { labels, annotations } = metadataMaps(secret);
  const decide = (renew: boolean, reason: RenewalReason, notAfter: Date | null = null) => ({
    renew,
    reason,
    notAfter,
    renewFrom: notAfter ? renewalStart(notAfter, renewBeforeDays) : null,
  });
  const [managedKey, managedValue] = Object.entries(MANAGED_BY)[0] as [string, string];
  if (labels[managedKey] !== managedValue) return decide(false, 'not-managed');

  const notAfterText = annotations[ANNOTATIONS.notAfter];
  const notAfter = notAfterText ? new Date(notAfterText) : null;
  const recordedHash = annotations[ANNOTATIONS.contentHash];
  if (!notAfter || Number.isNaN(notAfter.getTime()) || !recordedHash) {
    return decide(true, 'unreadable');
  }
  let actualHash: string;
  try {
    actualHash = contentHash(filesFromSecret(secret, 'secret'));
  } catch {
    return decide(true, 'unreadable', notAfter);
  }
  if (actualHash !== recordedHash) return decide(true, 'content-changed', notAfter);
  if (now.getTime() >= notAfter.getTime()) return decide(true, 'expired', notAfter);
  if (now.getTime() >= renewalStart(notAfter, renewBeforeDays).getTime()) {
    return decide(true, 'expiring', notAfter);
  }
  if (
    expected.issuerFingerprint &&
    annotations[ANNOTATIONS.issuerFingerprint] !== expected.issuerFingerprint
  ) {
    return decide(true, 'ca-changed', notAfter);
  }
  const names = new Set(
    (annotations[ANNOTATIONS.subjectAltNames] ?? '').split(',').filter(Boolean),
  );
  if ((expected.subjectAltNames ?? []).some((name) => !names.has(name.toLowerCase()))) {
    return decide(true, 'names-missing', notAfter);
  }
  return decide(false, 'current', notAfter);
}
