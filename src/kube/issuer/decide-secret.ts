/**
 * Issue, renew or keep a broker or components Secret: a pure decision over the Secret as read (or
 * its absence) and what the issuer signs with now, in the style of `needsRenewal`
 * (src/tls/renewal.ts), which it refines with two guards against harmful renewals.
 */
import { ANNOTATIONS, needsRenewal, type MaterialKind, type RenewalReason } from '../../tls';
import { metadataMaps, type SecretManifest } from '../../tls/secret';
import { ROLL_PENDING_ANNOTATION } from './decide-roll';

/** What a decision needs to know of the signing CA. */
export interface CaFacts {
  /** SHA-256 of its certificate. */
  fingerprint: string;
  notAfter: Date;
}

/** A problem worth one warning per Secret: `id` keys it, `fields` add to the Secret's log fields. */
export interface Problem {
  id: string;
  message: string;
  fields?: Record<string, unknown>;
}

export type SecretDecision =
  /** No Secret yet: create it (no broker has started on anything older, so no roll follows). */
  | { action: 'issue' }
  | { action: 'renew'; reason: RenewalReason; previousNotAfter: Date | null }
  /** Leave it as it is; `current` becomes `adopted` when a lost race brought it here. */
  | { action: 'keep'; result: 'current' | 'not-managed' | 'waiting'; problem?: Problem };

export interface SecretExpectations {
  ca: CaFacts;
  /** Names the certificate must hold. */
  subjectAltNames: string[];
  now: Date;
  renewBeforeDays?: number | undefined;
}

export function decideSecret(current: unknown, expected: SecretExpectations): SecretDecision {
  if (current === null || current === undefined) return { action: 'issue' };
  const { ca } = expected;
  const decision = needsRenewal(current, expected.now, expected.renewBeforeDays, {
    issuerFingerprint: ca.fingerprint,
    subjectAltNames: expected.subjectAltNames,
  });
  if (decision.reason === 'not-managed') {
    return {
      action: 'keep',
      result: 'not-managed',
      problem: {
        id: 'not-managed',
        message: 'the Secret exists but was not made by kafka-warden; left alone',
      },
    };
  }
  if (!decision.renew) return { action: 'keep', result: 'current' };
  if (decision.reason === 'ca-changed' && !trusts(current, ca.fingerprint)) {
    // Signing with a CA the running brokers do not trust yet breaks every handshake between a
    // restarted broker and one still on the old material: trust first, then sign (docs/tls.md).
    return {
      action: 'keep',
      result: 'waiting',
      problem: {
        id: 'untrusted-ca',
        fields: { fingerprint: ca.fingerprint },
        message:
          'the CA changed, but this truststore does not trust the new CA yet: not replaced ' +
          '(docs/tls.md, "Rotating the CA": step 1, trust it and roll, comes first)',
      },
    };
  }
  if (decision.reason === 'expiring' && cappedByCa(decision.notAfter, ca)) {
    // A leaf never outlives its CA: new material would be just as due. Renewing would loop.
    return {
      action: 'keep',
      result: 'current',
      problem: {
        id: 'capped',
        fields: { caNotAfter: ca.notAfter.toISOString() },
        message: CAPPED_MESSAGE,
      },
    };
  }
  return { action: 'renew', reason: decision.reason, previousNotAfter: decision.notAfter };
}

export const CAPPED_MESSAGE =
  'due for renewal, but the CA expires first: renewing cannot help; rotate the CA';

/** Whether the Secret's truststore (as its annotation records) trusts the CA with this fingerprint. */
export function trusts(secret: unknown, caFingerprint: string): boolean {
  const recorded = metadataMaps(secret).annotations[ANNOTATIONS.trustedFingerprints] ?? '';
  return recorded.split(',').includes(caFingerprint);
}

/** The material already lasts as long as the CA allows (validityFrom caps a leaf at the CA's end). */
export function cappedByCa(notAfter: Date | null, ca: Pick<CaFacts, 'notAfter'>): boolean {
  return notAfter !== null && notAfter.getTime() >= ca.notAfter.getTime() - 1000;
}

/**
 * The body of a renewal's PUT: the new material over the Secret as read, keeping its labels,
 * foreign annotations and resourceVersion (the precondition). A broker Secret also gets the roll
 * mark: running brokers loaded the old stores, and the mark, written with the material, makes the
 * StatefulSet roll (broker-roll.ts) even if this process stops right after.
 */
export function renewedSecret(
  current: { metadata?: { resourceVersion?: string } },
  manifest: SecretManifest,
  kind: MaterialKind,
) {
  const { labels, annotations } = metadataMaps(current);
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      labels: { ...labels, ...manifest.metadata.labels },
      annotations: {
        ...annotations,
        ...manifest.metadata.annotations,
        ...(kind === 'broker'
          ? { [ROLL_PENDING_ANNOTATION]: manifest.metadata.annotations[ANNOTATIONS.contentHash] }
          : {}),
      },
      resourceVersion: current.metadata?.resourceVersion,
    },
  };
}
