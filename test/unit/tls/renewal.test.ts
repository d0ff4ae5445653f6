import { issueBrokerMaterial, needsRenewal, toSecret, type SecretManifest } from '../../../src/tls';
import { ANNOTATIONS } from '../../../src/tls/secret';
import { BACKDATE_MS, renewalStart, validityFrom } from '../../../src/tls/validity';
import { clockAt, DAY, NOW, testCa } from './fixtures';

describe('validityFrom', () => {
  test('starts five minutes before now, in whole seconds, and lasts the given days', () => {
    const { notBefore, notAfter } = validityFrom(NOW, 365);
    const start = new Date('2030-03-15T12:00:00.000Z').getTime();
    expect(notBefore.getTime()).toBe(start - BACKDATE_MS);
    expect(notAfter.getTime()).toBe(start + 365 * DAY);
  });

  test('ends with the CA when the CA ends first', () => {
    const caEnd = new Date(NOW.getTime() + 10 * DAY);
    expect(validityFrom(NOW, 365, caEnd).notAfter).toEqual(caEnd);
  });
});

describe('needsRenewal', () => {
  let secret: SecretManifest;
  let issuer: string;
  const notAfter = new Date('2031-03-15T12:00:00.000Z');

  beforeAll(async () => {
    const { ca } = await testCa();
    const material = await issueBrokerMaterial({
      ca,
      commonName: 'kf',
      subjectAltNames: ['kf-0.kf-headless.ns', 'kf-1.kf-headless.ns'],
      clock: clockAt(NOW),
    });
    secret = toSecret(material, { name: 'kf-broker-tls', namespace: 'ns' });
    issuer = material.summary.issuerFingerprint;
  });

  const at = (days: number) => new Date(notAfter.getTime() - days * DAY);
  /** A table row's Secret, built when the test runs (after beforeAll). */
  const edited = (change: (s: SecretManifest) => void) => (): SecretManifest => {
    const copy = structuredClone(secret);
    change(copy);
    return copy;
  };

  test('records notAfter a year on, from the injected clock', () => {
    expect(secret.metadata.annotations[ANNOTATIONS.notAfter]).toBe(notAfter.toISOString());
  });

  test.each([
    ['a day after issuance', at(364), 30, false, 'current'],
    ['31 days before expiry with a 30-day window', at(31), 30, false, 'current'],
    ['exactly at the start of the 30-day window', at(30), 30, true, 'expiring'],
    ['10 days before expiry', at(10), 30, true, 'expiring'],
    ['60 days before expiry with a 90-day window', at(60), 90, true, 'expiring'],
    ['at expiry', at(0), 30, true, 'expired'],
    ['after expiry', at(-5), 30, true, 'expired'],
  ])('%s: renew=%s', (_when, now, window, renew, reason) => {
    expect(needsRenewal(secret, now, window)).toEqual({
      renew,
      reason,
      notAfter,
      renewFrom: renewalStart(notAfter, window),
    });
  });

  test.each([
    [
      'a Secret kafka-warden did not make',
      edited((s) => delete s.metadata.labels['app.kubernetes.io/managed-by']),
      false,
      'not-managed',
    ],
    [
      'a missing notAfter annotation',
      edited((s) => delete s.metadata.annotations[ANNOTATIONS.notAfter]),
      true,
      'unreadable',
    ],
    [
      'an unparseable notAfter',
      edited((s) => (s.metadata.annotations[ANNOTATIONS.notAfter] = 'soon')),
      true,
      'unreadable',
    ],
    [
      'data edited by hand',
      edited((s) => (s.data['keystore-credentials'] = Buffer.from('x').toString('base64'))),
      true,
      'content-changed',
    ],
  ])('given %s: renew=%s (%s)', (_what, input, renew, reason) => {
    expect(needsRenewal(input(), at(200), 30)).toMatchObject({ renew, reason });
  });

  test.each([
    ['the CA that signed it', () => ({ issuerFingerprint: issuer }), false, 'current'],
    ['another CA (a rotation)', () => ({ issuerFingerprint: 'ab'.repeat(32) }), true, 'ca-changed'],
    ['names it holds', () => ({ subjectAltNames: ['KF-1.kf-headless.ns'] }), false, 'current'],
    [
      'a broker added by a scale-up',
      () => ({ subjectAltNames: ['kf-2.kf-headless.ns'] }),
      true,
      'names-missing',
    ],
  ])('when the controller expects %s: renew=%s', (_what, expected, renew, reason) => {
    expect(needsRenewal(secret, at(200), 30, expected())).toMatchObject({ renew, reason });
  });
});
