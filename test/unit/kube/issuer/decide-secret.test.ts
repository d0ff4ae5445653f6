/**
 * Issue, renew or keep a broker or components Secret (src/kube/issuer/decide-secret.ts), decided
 * without a cluster or a key: the Secrets here carry only the annotations and data the decision
 * reads. The same decisions against an in-memory API: secret-issuer.test.ts.
 */
import {
  cappedByCa,
  decideSecret,
  renewedSecret,
  trusts,
  type SecretExpectations,
} from '../../../../src/kube/issuer/decide-secret';
import { ROLL_PENDING_ANNOTATION } from '../../../../src/kube/issuer/decide-roll';
import { ANNOTATIONS, contentHash, filesFromSecret, MANAGED_BY } from '../../../../src/tls/secret';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2030-03-15T12:00:00.000Z');
const CA = { fingerprint: 'ca-1', notAfter: new Date(NOW.getTime() + 5 * 365 * DAY) };
const NAMES = ['kf-0.kf-headless.ns', 'kf-1.kf-headless.ns'];

/** A Secret as kafka-warden writes it, its content hash matching its data. */
function managed(annotations: Record<string, string> = {}, notAfterDays = 300) {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      resourceVersion: '7',
      labels: { ...MANAGED_BY, team: 'kept' },
      annotations: {} as Record<string, string>,
    },
    data: { 'kafka.keystore.p12': Buffer.from('store').toString('base64') },
  };
  secret.metadata.annotations = {
    [ANNOTATIONS.kind]: 'broker',
    [ANNOTATIONS.notAfter]: new Date(NOW.getTime() + notAfterDays * DAY).toISOString(),
    [ANNOTATIONS.issuerFingerprint]: CA.fingerprint,
    [ANNOTATIONS.trustedFingerprints]: CA.fingerprint,
    [ANNOTATIONS.subjectAltNames]: NAMES.join(','),
    [ANNOTATIONS.contentHash]: contentHash(filesFromSecret(secret, 'test')),
    ...annotations,
  };
  return secret;
}

const expected = (overrides: Partial<SecretExpectations> = {}): SecretExpectations => ({
  ca: CA,
  subjectAltNames: NAMES,
  now: NOW,
  ...overrides,
});

describe('decideSecret', () => {
  test('no Secret: issue', () => {
    expect(decideSecret(null, expected())).toEqual({ action: 'issue' });
  });

  test('current material is kept, without a problem to report', () => {
    expect(decideSecret(managed(), expected())).toEqual({ action: 'keep', result: 'current' });
  });

  test("someone else's Secret is kept and reported, never replaced", () => {
    const foreign = { ...managed(), metadata: { annotations: managed().metadata.annotations } };
    expect(decideSecret(foreign, expected())).toMatchObject({
      action: 'keep',
      result: 'not-managed',
      problem: { id: 'not-managed' },
    });
  });

  test('renewed for what needsRenewal finds: expiring, names missing, content edited', () => {
    expect(decideSecret(managed({}, 10), expected())).toMatchObject({
      action: 'renew',
      reason: 'expiring',
      previousNotAfter: new Date(NOW.getTime() + 10 * DAY),
    });
    const scaledUp = expected({ subjectAltNames: [...NAMES, 'kf-2.kf-headless.ns'] });
    expect(decideSecret(managed(), scaledUp)).toMatchObject({
      action: 'renew',
      reason: 'names-missing',
    });
    const edited = managed();
    edited.data['kafka.keystore.p12'] = Buffer.from('other').toString('base64');
    expect(decideSecret(edited, expected())).toMatchObject({
      action: 'renew',
      reason: 'content-changed',
    });
  });

  test('a new CA the truststore does not trust yet waits; once trusted, it renews', () => {
    const newCa = expected({ ca: { ...CA, fingerprint: 'ca-2' } });
    expect(decideSecret(managed(), newCa)).toMatchObject({
      action: 'keep',
      result: 'waiting',
      problem: { id: 'untrusted-ca', fields: { fingerprint: 'ca-2' } },
    });
    const trusting = managed({ [ANNOTATIONS.trustedFingerprints]: 'ca-1,ca-2' });
    expect(decideSecret(trusting, newCa)).toMatchObject({ action: 'renew', reason: 'ca-changed' });
  });

  test('material that already lasts as long as its CA is not renewed in a loop', () => {
    const caEnd = new Date(NOW.getTime() + 10 * DAY);
    const capped = managed({ [ANNOTATIONS.notAfter]: caEnd.toISOString() });
    const decision = decideSecret(capped, expected({ ca: { ...CA, notAfter: caEnd } }));
    expect(decision).toMatchObject({
      action: 'keep',
      result: 'current',
      problem: { id: 'capped', fields: { caNotAfter: caEnd.toISOString() } },
    });
    expect(decision.action === 'keep' && decision.problem?.message).toContain('rotate the CA');
    // Expired material is renewed even then: it no longer works at all.
    const expired = managed({}, -1);
    expect(decideSecret(expired, expected({ ca: { ...CA, notAfter: NOW } }))).toMatchObject({
      action: 'renew',
      reason: 'expired',
    });
  });

  test('cappedByCa allows a second of clock skew, and nothing without an end date', () => {
    const end = new Date(NOW.getTime() + DAY);
    expect(cappedByCa(end, { notAfter: end })).toBe(true);
    expect(cappedByCa(new Date(end.getTime() - 1000), { notAfter: end })).toBe(true);
    expect(cappedByCa(new Date(end.getTime() - 1001), { notAfter: end })).toBe(false);
    expect(cappedByCa(null, { notAfter: end })).toBe(false);
  });

  test('trusts reads the recorded fingerprints, whole entries only', () => {
    expect(trusts(managed({ [ANNOTATIONS.trustedFingerprints]: 'ab,cd' }), 'cd')).toBe(true);
    expect(trusts(managed({ [ANNOTATIONS.trustedFingerprints]: 'abcd' }), 'cd')).toBe(false);
    expect(trusts({}, 'cd')).toBe(false);
  });
});

describe('renewedSecret', () => {
  const manifest = {
    apiVersion: 'v1' as const,
    kind: 'Secret' as const,
    type: 'Opaque' as const,
    metadata: {
      name: 'kf-broker-tls',
      labels: { ...MANAGED_BY },
      annotations: { [ANNOTATIONS.contentHash]: 'new-hash', [ANNOTATIONS.kind]: 'broker' },
    },
    data: { 'kafka.keystore.p12': 'bmV3' },
  };

  test("keeps the Secret's labels, foreign annotations and resourceVersion; marks a broker Secret for the roll", () => {
    const current = managed({ 'example.com/note': 'kept' });
    const body = renewedSecret(current, manifest, 'broker');
    expect(body.metadata.resourceVersion).toBe('7');
    expect(body.metadata.labels).toMatchObject({ team: 'kept', ...MANAGED_BY });
    expect(body.metadata.annotations).toMatchObject({
      'example.com/note': 'kept',
      [ANNOTATIONS.contentHash]: 'new-hash',
      [ROLL_PENDING_ANNOTATION]: 'new-hash',
    });
    expect(body.data).toEqual(manifest.data);
  });

  test('a client Secret is not marked: the brokers do not mount it', () => {
    const body = renewedSecret(managed(), manifest, 'client');
    expect(body.metadata.annotations[ROLL_PENDING_ANNOTATION]).toBeUndefined();
  });
});
