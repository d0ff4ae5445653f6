/**
 * Fill, renew or keep a client Secret request (src/kube/issuer/decide-request.ts), decided without
 * a cluster or a key: the Secrets here carry only what the decision reads. The same decisions
 * against an in-memory API: client-requests.test.ts.
 */
import type { ClientRequest } from '../../../../src/kube/issuer/client-requests';
import { SUBJECT_ANNOTATION } from '../../../../src/kube/issuer/client-requests';
import {
  decideRequest,
  type BrokerTrustFacts,
  type RequestExpectations,
} from '../../../../src/kube/issuer/decide-request';
import { ANNOTATIONS, contentHash, filesFromSecret } from '../../../../src/tls/secret';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2030-03-15T12:00:00.000Z');
const CA = { fingerprint: 'ca-1', notAfter: new Date(NOW.getTime() + 5 * 365 * DAY) };
const EXPECTED: RequestExpectations = { ca: CA, now: NOW };

const request: ClientRequest = {
  namespace: 'team-a',
  name: 'orders-tls',
  cluster: { namespace: 'kafka', name: 'my-cp-cp-kafka' },
  commonName: 'orders',
  organizationalUnit: 'team-a',
  subject: 'CN=orders,OU=team-a',
};

/** The user's Secret as they created it: their own key, no material. */
const empty = () => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'orders-tls', namespace: 'team-a', annotations: {} },
  data: { 'their-own-key': Buffer.from('x').toString('base64') },
});

/** A request kafka-warden filled, its content hash over the six keys only. */
function filled(annotations: Record<string, string> = {}, notAfterDays = 300) {
  const material = { 'kafka.keystore.p12': Buffer.from('store').toString('base64') };
  const secret = {
    ...empty(),
    data: { ...empty().data, ...material },
  };
  const hash = contentHash(filesFromSecret({ kind: 'Secret', data: material }, 'test'));
  secret.metadata.annotations = {
    [ANNOTATIONS.kind]: 'client',
    [ANNOTATIONS.notAfter]: new Date(NOW.getTime() + notAfterDays * DAY).toISOString(),
    [ANNOTATIONS.issuerFingerprint]: CA.fingerprint,
    [ANNOTATIONS.trustedFingerprints]: CA.fingerprint,
    [ANNOTATIONS.contentHash]: hash,
    [SUBJECT_ANNOTATION]: request.subject,
    ...annotations,
  };
  return secret;
}

const broker = (trusted: string[]): BrokerTrustFacts => ({
  secret: { metadata: { annotations: { [ANNOTATIONS.trustedFingerprints]: trusted.join(',') } } },
  trustedFingerprints: trusted,
});

describe('decideRequest', () => {
  test('an empty request is filled, with nothing of its own to keep', () => {
    expect(decideRequest(empty(), request, broker(['ca-1']), EXPECTED)).toEqual({
      action: 'fill',
      result: 'issued',
      reason: 'issued',
      keepOwnTrust: false,
    });
  });

  test('a request holding our keys without our annotations is left alone', () => {
    const foreign = empty();
    Object.assign(foreign.data, { 'kafka.keystore.p12': 'c3RvcmU=' });
    expect(decideRequest(foreign, request, broker(['ca-1']), EXPECTED)).toMatchObject({
      action: 'keep',
      result: 'not-managed',
      problem: { id: 'foreign-keys' },
    });
  });

  test('a filled, current request is kept; its own keys never count', () => {
    expect(decideRequest(filled(), request, broker(['ca-1']), EXPECTED)).toEqual({
      action: 'keep',
      result: 'current',
    });
  });

  test('renewed in the window, on a new subject, and when the brokers trust one more CA', () => {
    const renewal = { action: 'fill', result: 'renewed', keepOwnTrust: true };
    expect(decideRequest(filled({}, 10), request, broker(['ca-1']), EXPECTED)).toEqual({
      ...renewal,
      reason: 'expiring',
    });
    const renamed = { ...request, commonName: 'payments', subject: 'CN=payments,OU=team-a' };
    expect(decideRequest(filled(), renamed, broker(['ca-1']), EXPECTED)).toEqual({
      ...renewal,
      reason: 'subject-changed',
    });
    expect(decideRequest(filled(), request, broker(['ca-1', 'ca-2']), EXPECTED)).toEqual({
      ...renewal,
      reason: 'trust-added',
    });
  });

  test("waits while the brokers' truststore does not trust the signing CA", () => {
    const newCa: RequestExpectations = { ...EXPECTED, ca: { ...CA, fingerprint: 'ca-2' } };
    expect(decideRequest(empty(), request, broker(['ca-1']), newCa)).toMatchObject({
      action: 'keep',
      result: 'waiting',
      problem: { id: 'untrusted-ca', fields: { fingerprint: 'ca-2' } },
    });
    expect(decideRequest(filled(), request, broker(['ca-1', 'ca-2']), newCa)).toMatchObject({
      action: 'fill',
      result: 'renewed',
      reason: 'trust-added',
    });
  });

  test('without a broker Secret kafka-warden made, the request is filled from the CA alone', () => {
    expect(decideRequest(empty(), request, undefined, EXPECTED)).toMatchObject({
      action: 'fill',
      result: 'issued',
    });
  });

  test('material capped by its CA is not renewed in a loop, unless the subject changed', () => {
    const caEnd = new Date(NOW.getTime() + 10 * DAY);
    const capped: RequestExpectations = { ...EXPECTED, ca: { ...CA, notAfter: caEnd } };
    const secret = filled({ [ANNOTATIONS.notAfter]: caEnd.toISOString() });
    expect(decideRequest(secret, request, broker(['ca-1']), capped)).toMatchObject({
      action: 'keep',
      result: 'current',
      problem: { id: 'capped' },
    });
    const renamed = { ...request, commonName: 'payments', subject: 'CN=payments,OU=team-a' };
    expect(decideRequest(secret, renamed, broker(['ca-1']), capped)).toMatchObject({
      action: 'fill',
      reason: 'subject-changed',
    });
  });
});
