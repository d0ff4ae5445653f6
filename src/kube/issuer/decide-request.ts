/**
 * Fill, renew or keep a client Secret request (client-requests.ts says what a request is): a pure
 * decision over the request as read, the cluster's broker Secret and the signing CA. The brokers'
 * truststore is the reference: a client must trust every CA a broker may present during a CA
 * rotation, and present a certificate the brokers trust.
 */
import { needsRenewal } from '../../tls';
import { metadataMaps } from '../../tls/secret';
import {
  materialView,
  missingTrust,
  requestState,
  SUBJECT_ANNOTATION,
  type ClientRequest,
} from './client-requests';
import { CAPPED_MESSAGE, cappedByCa, trusts, type CaFacts, type Problem } from './decide-secret';

/** The cluster's broker Secret, when kafka-warden made it. */
export interface BrokerTrustFacts {
  /** As read: its annotations record the CAs its truststore trusts. */
  secret: unknown;
  /** SHA-256 of each still-valid CA in its truststore. */
  trustedFingerprints: readonly string[];
}

export type RequestDecision =
  /** Leave it as it is; `current` becomes `adopted` when a lost race brought it here. */
  | { action: 'keep'; result: 'current' | 'not-managed' | 'waiting'; problem?: Problem }
  | {
      action: 'fill';
      /** `issued` for an empty request, else `renewed` for `reason`. */
      result: 'issued' | 'renewed';
      reason: string;
      /** A renewal keeps the CAs the request's own truststore still trusts. */
      keepOwnTrust: boolean;
    };

export interface RequestExpectations {
  ca: CaFacts;
  now: Date;
  renewBeforeDays?: number | undefined;
}

export function decideRequest(
  current: unknown,
  request: ClientRequest,
  broker: BrokerTrustFacts | undefined,
  expected: RequestExpectations,
): RequestDecision {
  const state = requestState(current);
  if (state === 'foreign-keys') {
    return {
      action: 'keep',
      result: 'not-managed',
      problem: {
        id: 'foreign-keys',
        message: 'the requested Secret already holds keys kafka-warden would write; left alone',
      },
    };
  }
  let reason = 'issued';
  if (state === 'issued') {
    const decision = needsRenewal(materialView(current), expected.now, expected.renewBeforeDays, {
      issuerFingerprint: expected.ca.fingerprint,
    });
    const subjectChanged =
      metadataMaps(current).annotations[SUBJECT_ANNOTATION] !== request.subject;
    const trustAdded = broker
      ? missingTrust(current, broker.trustedFingerprints).length > 0
      : false;
    const renewFor = subjectChanged ? 'subject-changed' : trustAdded ? 'trust-added' : null;
    if (!renewFor && !decision.renew) return { action: 'keep', result: 'current' };
    if (!renewFor && decision.reason === 'expiring' && cappedByCa(decision.notAfter, expected.ca)) {
      return {
        action: 'keep',
        result: 'current',
        problem: { id: 'capped', message: CAPPED_MESSAGE },
      };
    }
    reason = renewFor ?? decision.reason;
  }
  if (broker && !trusts(broker.secret, expected.ca.fingerprint)) {
    return {
      action: 'keep',
      result: 'waiting',
      problem: {
        id: 'untrusted-ca',
        fields: { fingerprint: expected.ca.fingerprint },
        message:
          "the brokers' truststore does not trust the current CA yet: the request waits " +
          '(docs/tls.md, "Rotating the CA")',
      },
    };
  }
  return {
    action: 'fill',
    result: state === 'empty' ? 'issued' : 'renewed',
    reason,
    keepOwnTrust: state === 'issued',
  };
}
