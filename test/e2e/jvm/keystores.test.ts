// keytool and openssl read what kafka-warden writes: entry types, chain, trusted entries, the
// Java 8-compatible algorithms, and a chain that verifies against the CA.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { runTool } from './jvm';
import { createFixture, type Fixture } from './material';

jest.setTimeout(120_000);

let f: Fixture;
beforeAll(() => {
  f = createFixture();
});
afterAll(() => rmSync(f.root, { recursive: true, force: true }));

/** keytool with the password from the credentials file, never on the command line. */
function keytoolList(dir: string, store: 'keystore' | 'truststore'): string {
  const result = runTool('keytool', [
    '-list',
    '-v',
    '-storetype',
    'PKCS12',
    '-keystore',
    path.join(dir, `kafka.${store}.p12`),
    '-storepass:file',
    path.join(dir, `${store}-credentials`),
  ]);
  // Warnings (a newer JDK may flag 3DES) are allowed; a failure to read the store is not.
  expect(result.stderr).not.toMatch(/error|exception/i);
  expect(result.status).toBe(0);
  return result.stdout;
}

describe('keytool', () => {
  test.each([
    ['broker', 'CN=kf.ns'],
    ['client', 'CN=schema-registry'],
  ] as const)('lists the %s keystore as one PrivateKeyEntry with a chain of 2', (role, owner) => {
    const out = keytoolList(f[role], 'keystore');
    expect(out).toContain('Your keystore contains 1 entry');
    expect(out).toContain('Entry type: PrivateKeyEntry');
    expect(out).toContain('Certificate chain length: 2');
    expect(out).toContain(`Owner: ${owner}\n`);
    expect(out).toMatch(/Certificate\[2\]:\nOwner: CN=kafka-warden CA/);
  });

  test.each(['broker', 'client'] as const)(
    'lists the %s truststore as one trustedCertEntry for the CA',
    (role) => {
      const out = keytoolList(f[role], 'truststore');
      expect(out).toContain('Your keystore contains 1 entry');
      expect(out).toContain('Entry type: trustedCertEntry');
      expect(out).toMatch(/Owner: CN=kafka-warden CA \d{4}-\d{2}-\d{2}\n/);
    },
  );

  test('lists both CAs as trusted entries after a rotation to a new CA', () => {
    const out = keytoolList(f.brokerSignedByNext, 'truststore');
    expect(out).toContain('Your keystore contains 2 entries');
    expect(out.match(/Entry type: trustedCertEntry/g)).toHaveLength(2);
    expect(out).toContain('Owner: CN=kafka-warden next CA');
  });

  test('lists only the new CA once the old one is dropped', () => {
    const out = keytoolList(f.brokerNextOnly, 'truststore');
    expect(out).toContain('Your keystore contains 1 entry');
    expect(out).toContain('Owner: CN=kafka-warden next CA');
  });
});

describe('openssl', () => {
  /** The leaf certificate out of the keystore, via openssl (password from the file). */
  function extractLeaf(dir: string): string {
    const leaf = path.join(dir, '..', `${path.basename(dir)}-leaf.pem`);
    const result = runTool('openssl', [
      'pkcs12',
      '-in',
      path.join(dir, 'kafka.keystore.p12'),
      '-nokeys',
      '-clcerts',
      '-passin',
      `file:${path.join(dir, 'keystore-credentials')}`,
      '-out',
      leaf,
    ]);
    expect(result.status).toBe(0);
    return leaf;
  }

  test.each([
    ['broker', 'ca'],
    ['client', 'ca'],
    ['brokerSignedByNext', 'nextCa'],
  ] as const)('verifies the %s certificate against its CA', (role, ca) => {
    const leaf = extractLeaf(f[role]);
    const result = runTool('openssl', ['verify', '-CAfile', path.join(f[ca], 'ca.crt'), leaf]);
    expect(result.stdout.trim()).toBe(`${leaf}: OK`);
  });

  test('refuses the rotated broker certificate against the old CA alone', () => {
    const leaf = extractLeaf(f.brokerSignedByNext);
    const result = runTool('openssl', ['verify', '-CAfile', path.join(f.ca, 'ca.crt'), leaf]);
    expect(result.status).not.toBe(0);
  });

  test('sees 3DES key bags and a SHA-1 MAC, which Java 8 reads', () => {
    const result = runTool('openssl', [
      'pkcs12',
      '-info',
      '-noout',
      '-in',
      path.join(f.broker, 'kafka.keystore.p12'),
      '-passin',
      `file:${path.join(f.broker, 'keystore-credentials')}`,
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/MAC: sha1/);
    expect(result.stderr).toMatch(/Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
  });
});
