import forge from 'node-forge';
import { SECRET_KEYS } from '../../../src/core/tls-wiring';
import {
  issueBrokerMaterial,
  issueClientMaterial,
  rotateMaterial,
  type IssuedMaterial,
  type SigningCa,
} from '../../../src/tls';
import {
  commonNameOf,
  distinguishedName,
  extendedKeyUsageOf,
  fingerprint,
  organizationalUnitOf,
  subjectAltNamesOf,
} from '../../../src/tls/certificates';
import { passwordsFromFiles } from '../../../src/tls/passwords';
import { decodeKeystore, decodeTruststore } from '../../../src/tls/pkcs12';
import { clockAt, DAY, expectWardenError, NOW, testCa } from './fixtures';

let ca: SigningCa;
let nextCa: SigningCa;
let broker: IssuedMaterial;
let client: IssuedMaterial;

beforeAll(async () => {
  [{ ca }, { ca: nextCa }] = await Promise.all([testCa('test CA'), testCa('next CA')]);
  [broker, client] = await Promise.all([
    issueBrokerMaterial({
      ca,
      commonName: 'kf',
      subjectAltNames: ['kf-0.kf-headless.ns', 'KF-0.kf-headless.ns.svc', '10.1.2.3'],
      clock: clockAt(NOW),
    }),
    issueClientMaterial({ ca, commonName: 'schema-registry', clock: clockAt(NOW), days: 30 }),
  ]);
});

function open(material: IssuedMaterial) {
  const passwords = passwordsFromFiles(material.files, 'test');
  return {
    passwords,
    keystore: decodeKeystore(
      material.files[SECRET_KEYS.keystore] as Buffer,
      passwords.keystore,
      'ks',
    ),
    trusted: decodeTruststore(
      material.files[SECRET_KEYS.truststore] as Buffer,
      passwords.truststore,
      'ts',
    ).map((entry) => entry.certificate),
  };
}
const leafOf = (material: IssuedMaterial) =>
  open(material).keystore.chain[0] as forge.pki.Certificate;

describe('issued material', () => {
  test('holds exactly the six files the Secret and the broker mount need', () => {
    expect(Object.keys(broker.files).sort()).toEqual(Object.values(SECRET_KEYS).sort());
  });

  test('keeps the key with a chain of leaf then CA', () => {
    const { keystore } = open(broker);
    expect(keystore.chain.map((c) => commonNameOf(c))).toEqual(['kf', 'test CA']);
    expect(keystore.alias).toBe('kafka');
  });

  test('trusts exactly the signing CA', () => {
    expect(open(broker).trusted.map(fingerprint)).toEqual([fingerprint(ca.certificate)]);
  });

  test.each([
    ['broker', () => broker, ['serverAuth', 'clientAuth']],
    ['client', () => client, ['clientAuth']],
  ])('gives a %s certificate the extended key usages %p', (_kind, material, usages) => {
    expect(extendedKeyUsageOf(leafOf(material()))).toEqual(usages);
  });

  test('signs for digitalSignature and keyEncipherment only, as a non-CA', () => {
    const leaf = leafOf(broker);
    expect(leaf.getExtension('keyUsage')).toMatchObject({
      digitalSignature: true,
      keyEncipherment: true,
      keyCertSign: false,
    });
    expect(leaf.getExtension('basicConstraints')).toMatchObject({ cA: false });
    expect(ca.certificate.verify(leaf)).toBe(true);
  });

  test('carries DNS names lower-cased and IP addresses as IP SANs', () => {
    expect(subjectAltNamesOf(leafOf(broker))).toEqual({
      dns: ['kf-0.kf-headless.ns', 'kf-0.kf-headless.ns.svc'],
      ip: ['10.1.2.3'],
    });
  });

  test.each([
    ['broker', () => broker, 365],
    ['client', () => client, 30],
  ])('dates the %s certificate from the injected clock for %p days', (_kind, material, days) => {
    const leaf = leafOf(material());
    const start = Date.parse('2030-03-15T12:00:00.000Z');
    expect(leaf.validity.notBefore.getTime()).toBe(start - 5 * 60 * 1000);
    expect(leaf.validity.notAfter.getTime()).toBe(start + days * DAY);
    expect(material().summary.notAfter).toEqual(leaf.validity.notAfter);
  });
});

describe('passwords', () => {
  const text = (name: string) => (broker.files[name] as Buffer).toString('utf8');

  test('are 32 base64url characters in credentials files without a newline', () => {
    for (const name of [
      SECRET_KEYS.keystoreCredentials,
      SECRET_KEYS.keyCredentials,
      SECRET_KEYS.truststoreCredentials,
    ]) {
      expect(text(name)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    }
  });

  test('use one password for the keystore and its key (PKCS#12), another for the truststore', () => {
    expect(text(SECRET_KEYS.keyCredentials)).toBe(text(SECRET_KEYS.keystoreCredentials));
    expect(text(SECRET_KEYS.truststoreCredentials)).not.toBe(text(SECRET_KEYS.keystoreCredentials));
  });

  test('repeat in ssl-passwords.properties under the names FileConfigProvider is asked for', () => {
    expect(text(SECRET_KEYS.passwordsProperties)).toContain(
      [
        `keystore.password=${text(SECRET_KEYS.keystoreCredentials)}`,
        `key.password=${text(SECRET_KEYS.keyCredentials)}`,
        `truststore.password=${text(SECRET_KEYS.truststoreCredentials)}`,
      ].join('\n'),
    );
  });

  test('differ between two issuances', () => {
    expect(text(SECRET_KEYS.keystoreCredentials)).not.toBe(
      (client.files[SECRET_KEYS.keystoreCredentials] as Buffer).toString('utf8'),
    );
  });
});

describe('issuance refuses', () => {
  test.each([
    [
      'a broker without names',
      () => issueBrokerMaterial({ ca, commonName: 'kf' }),
      'KW_TLS_INPUT',
      /at least one DNS name/,
    ],
    [
      'zero days',
      () => issueClientMaterial({ ca, commonName: 'c', days: 0 }),
      'KW_TLS_INPUT',
      /1 to 36500/,
    ],
    [
      'a 1024-bit key',
      () => issueClientMaterial({ ca, commonName: 'c', bits: 1024 as 2048 }),
      'KW_TLS_INPUT',
      /2048, 3072, 4096/,
    ],
    [
      'a common name over 64 characters',
      () => issueClientMaterial({ ca, commonName: 'c'.repeat(65) }),
      'KW_TLS_INPUT',
      /1 to 64/,
    ],
    [
      'a CA that has expired',
      () =>
        issueClientMaterial({
          ca,
          commonName: 'c',
          clock: clockAt(new Date(NOW.getTime() + 6 * 365 * DAY)),
        }),
      'KW_TLS_CA',
      /not valid now/,
    ],
  ])('%s', async (_what, action, code, message) => {
    await expectWardenError(action(), code, message);
  });
});

describe('a subject OU (client Secrets users request)', () => {
  test('comes before the CN, so the RFC 2253 name Kafka uses reads CN=…,OU=…; rotation keeps it', async () => {
    const alice = await issueClientMaterial({
      ca,
      commonName: 'alice',
      organizationalUnit: 'team-a',
      clock: clockAt(NOW),
    });
    const leaf = leafOf(alice);
    // Encoding order; RFC 2253 (X500Principal.getName, Kafka's principal) prints it reversed.
    expect(distinguishedName(leaf.subject)).toBe('OU=team-a,CN=alice');
    expect(organizationalUnitOf(leafOf(client))).toBeNull();
    const rotated = await rotateMaterial({
      current: alice.files,
      source: 'dir',
      ca,
      clock: clockAt(NOW),
    });
    expect(distinguishedName(leafOf(rotated).subject)).toBe('OU=team-a,CN=alice');
  });
});

describe('rotateMaterial', () => {
  test('keeps CN and names, replaces the key, and keeps the current CA trusted', async () => {
    const rotated = await rotateMaterial({
      current: broker.files,
      source: 'dir',
      ca,
      clock: clockAt(NOW),
    });
    const before = leafOf(broker);
    const after = leafOf(rotated);
    expect(commonNameOf(after)).toBe('kf');
    expect(subjectAltNamesOf(after)).toEqual(subjectAltNamesOf(before));
    expect(extendedKeyUsageOf(after)).toEqual(['serverAuth', 'clientAuth']);
    expect(
      (after.publicKey as forge.pki.rsa.PublicKey).n.equals(
        (before.publicKey as forge.pki.rsa.PublicKey).n,
      ),
    ).toBe(false);
    expect(rotated.summary.trustedFingerprints).toEqual([fingerprint(ca.certificate)]);
  });

  test('signs with a new CA and trusts new and old during the overlap', async () => {
    const rotated = await rotateMaterial({
      current: client.files,
      source: 'dir',
      ca: nextCa,
      clock: clockAt(NOW),
    });
    expect(nextCa.certificate.verify(leafOf(rotated))).toBe(true);
    expect(open(rotated).trusted.map(fingerprint).sort()).toEqual(
      [fingerprint(ca.certificate), fingerprint(nextCa.certificate)].sort(),
    );
    expect(rotated.summary.kind).toBe('client');
  });

  test('drops a CA by fingerprint, in the colon form openssl and keytool print', async () => {
    const overlap = await rotateMaterial({
      current: client.files,
      source: 'dir',
      ca: nextCa,
      clock: clockAt(NOW),
    });
    const colons = fingerprint(ca.certificate).toUpperCase().match(/../g)?.join(':') ?? '';
    const done = await rotateMaterial({
      current: overlap.files,
      source: 'dir',
      ca: nextCa,
      dropTrusted: [colons],
      clock: clockAt(NOW),
    });
    expect(open(done).trusted.map(fingerprint)).toEqual([fingerprint(nextCa.certificate)]);
  });

  test.each([
    [
      'the signing CA',
      () => fingerprint(ca.certificate),
      'KW_TLS_CA',
      /signing CA cannot be dropped/,
    ],
    ['an unknown CA', () => '00'.repeat(32), 'KW_TLS_INPUT', /no trusted CA has fingerprint 0000/],
  ])('refuses to drop %s', async (_what, print, code, message) => {
    await expectWardenError(
      rotateMaterial({ current: broker.files, source: 'dir', ca, dropTrusted: [print()] }),
      code,
      message,
    );
  });

  test('names the source and the store when a password does not fit, never the password', async () => {
    const wrong = Buffer.from('not-the-password');
    const files = { ...broker.files, [SECRET_KEYS.keystoreCredentials]: wrong };
    const error = await expectWardenError(
      rotateMaterial({ current: files, source: 'old-dir', ca }),
      'KW_TLS_INPUT',
      /^old-dir: kafka\.keystore\.p12: the password from its credentials does not open it/,
    );
    expect(error.message).not.toContain('not-the-password');
  });
});
