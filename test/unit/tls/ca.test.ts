import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { SECRET_KEYS } from '../../../src/core/tls-wiring';
import {
  caPemFromSecret,
  createCa,
  issueClientMaterial,
  loadCa,
  type CaPem,
} from '../../../src/tls';
import { certificateToPem, commonNameOf } from '../../../src/tls/certificates';
import { passwordsFromFiles } from '../../../src/tls/passwords';
import { decodeKeystore } from '../../../src/tls/pkcs12';
import { clockAt, DAY, expectWardenError, NOW, testCa } from './fixtures';

let pem: CaPem;
let other: CaPem;
let leaf: CaPem;

beforeAll(async () => {
  [{ pem }, { pem: other }] = await Promise.all([testCa('test CA'), testCa('other CA')]);
  const { ca } = await testCa('test CA');
  const material = await issueClientMaterial({ ca, commonName: 'client', clock: clockAt(NOW) });
  const passwords = passwordsFromFiles(material.files, 'm');
  const keystore = decodeKeystore(
    material.files[SECRET_KEYS.keystore] as Buffer,
    passwords.keystore,
    'ks',
  );
  leaf = {
    certificate: certificateToPem(keystore.chain[0] as forge.pki.Certificate),
    key: forge.pki.privateKeyToPem(keystore.key),
  };
});

const sources = { certificate: 'ca.crt', key: 'ca.key' };

describe('createCa', () => {
  test('makes a CA for leaves only, named with the date of the injected clock', () => {
    const cert = forge.pki.certificateFromPem(pem.certificate);
    expect(commonNameOf(cert)).toBe('test CA');
    expect(cert.getExtension('basicConstraints')).toMatchObject({
      cA: true,
      pathLenConstraint: 0,
      critical: true,
    });
    expect(cert.getExtension('keyUsage')).toMatchObject({
      keyCertSign: true,
      cRLSign: true,
      digitalSignature: false,
    });
    expect(cert.validity.notAfter.getTime()).toBe(Date.parse('2030-03-15T12:00:00Z') + 1825 * DAY);
    expect(cert.verify(cert)).toBe(true);
  });

  test.each([
    ['a 1024-bit key', { bits: 1024 as 2048 }, /RSA key size must be one of 2048, 3072, 4096/],
    ['zero days', { days: 0 }, /1 to 36500 whole days/],
    ['an empty name', { commonName: '' }, /"" has 0 characters; a common name has 1 to 64/],
    [
      'a name with a newline',
      { commonName: 'CA\nx' },
      /^the common name: "CA\\nx" holds a control/,
    ],
  ])('refuses %s before generating anything', async (_what, options, message) => {
    await expectWardenError(createCa(options), 'KW_TLS_INPUT', message);
  });

  test('writes the key as unencrypted PKCS#8', () => {
    expect(pem.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });
});

describe('loadCa', () => {
  test('accepts its own output and a PKCS#1 key', () => {
    const pkcs1 = forge.pki.privateKeyToPem(forge.pki.privateKeyFromPem(pem.key));
    expect(commonNameOf(loadCa({ ...pem, key: pkcs1 }, sources, NOW).certificate)).toBe('test CA');
  });

  const ecKey = () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
  const encrypted = () =>
    generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString();

  test.each([
    ['a leaf certificate', () => leaf, NOW, 'KW_TLS_CA', /^ca\.crt: not a CA certificate/],
    [
      "another CA's key",
      () => ({ ...pem, key: other.key }),
      NOW,
      'KW_TLS_CA',
      /^ca\.crt: the certificate does not belong to the key in ca\.key/,
    ],
    [
      'an EC key',
      () => ({ ...pem, key: ecKey() }),
      NOW,
      'KW_TLS_CA',
      /^ca\.key: the key is ec; kafka-warden signs with RSA keys only/,
    ],
    [
      'an encrypted key',
      () => ({ ...pem, key: encrypted() }),
      NOW,
      'KW_TLS_CA',
      /^ca\.key: the private key is encrypted/,
    ],
    [
      'a key file that is not PEM',
      () => ({ ...pem, key: 'secret' }),
      NOW,
      'KW_TLS_CA',
      /^ca\.key: no readable PEM private key/,
    ],
    [
      'a certificate file that is not PEM',
      () => ({ ...pem, certificate: 'x' }),
      NOW,
      'KW_TLS_INPUT',
      /^ca\.crt: no PEM certificate/,
    ],
    [
      'an expired CA',
      () => pem,
      new Date(NOW.getTime() + 1826 * DAY),
      'KW_TLS_CA',
      /^ca\.crt: valid only from .* to 2035-/,
    ],
  ])('refuses %s, naming the file', async (_what, input, now, code, message) => {
    const error = await expectWardenError(() => loadCa(input(), sources, now), code, message);
    // Key material (base64 DER starts with MII) never reaches an error message.
    expect(error.message).not.toContain('MII');
  });
});

describe('caPemFromSecret', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');

  test('reads tls.crt and tls.key as kubectl create secret tls writes them', () => {
    const secret = {
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(pem.certificate), 'tls.key': b64(pem.key) },
    };
    expect(caPemFromSecret(secret, 'ca.yaml')).toEqual(pem);
  });

  test('names the missing key', async () => {
    const secret = { kind: 'Secret', data: { 'tls.crt': b64(pem.certificate) } };
    await expectWardenError(
      () => caPemFromSecret(secret, 'ca.yaml'),
      'KW_TLS_CA',
      /^ca\.yaml: the Secret has no "tls\.key"/,
    );
  });
});
