import { SECRET_KEYS } from '../../../src/core/tls-wiring';
import {
  inspectCertificates,
  inspectMaterial,
  toSecret,
  type CaPem,
  type IssuedMaterial,
} from '../../../src/tls';
import { fingerprint } from '../../../src/tls/certificates';
import { DAY, expectWardenError, NOW, testBroker } from './fixtures';

let material: IssuedMaterial;
let caPem: CaPem;
let caPrint: string;

beforeAll(async () => {
  let ca;
  ({ ca, pem: caPem, material } = await testBroker());
  caPrint = fingerprint(ca.certificate);
});

const later = new Date(NOW.getTime() + DAY);

test('reports subject, names, validity, chain, issuer and trusted CAs, with no problem', () => {
  const report = inspectMaterial(material.files, 'dir', later);
  expect(report).toMatchObject({
    source: 'dir',
    keystore: {
      alias: 'kafka',
      certificate: {
        subject: 'CN=kf',
        issuer: 'CN=test CA',
        dnsNames: ['kf-0.kf-headless.ns'],
        ipAddresses: ['10.0.0.1'],
        notBefore: '2030-03-15T11:55:00.000Z',
        notAfter: '2031-03-15T12:00:00.000Z',
        extendedKeyUsage: ['serverAuth', 'clientAuth'],
        isCa: false,
      },
      chain: ['CN=kf', 'CN=test CA'],
      issuerFingerprint: caPrint,
    },
    truststore: [
      { alias: `ca-${caPrint.slice(0, 16)}`, certificate: { subject: 'CN=test CA', isCa: true } },
    ],
    problems: [],
  });
});

test('reports a Secret like its files, plus its name and annotations', () => {
  const secret = toSecret(material, { name: 'kf-broker-tls', namespace: 'ns' });
  const fromSecret = inspectMaterial(secret, 'secret.yaml', later);
  const fromFiles = inspectMaterial(material.files, 'secret.yaml', later);
  expect({ ...fromSecret, secret: undefined }).toEqual({ ...fromFiles, secret: undefined });
  expect(fromSecret.secret).toMatchObject({ name: 'kf-broker-tls', namespace: 'ns' });
});

test('never puts a password into the report', () => {
  const text = JSON.stringify(inspectMaterial(material.files, 'dir', later));
  for (const name of [SECRET_KEYS.keystoreCredentials, SECRET_KEYS.truststoreCredentials]) {
    expect(text).not.toContain((material.files[name] as Buffer).toString('utf8'));
  }
});

const withFiles = (change: Record<string, Buffer | undefined>) => {
  const files = { ...material.files, ...change };
  for (const [name, value] of Object.entries(files)) if (value === undefined) delete files[name];
  return files as Record<string, Buffer>;
};

test.each([
  [
    'an expired certificate',
    () => material.files,
    new Date(NOW.getTime() + 400 * DAY),
    /not valid now/,
  ],
  [
    'a missing properties file',
    () => withFiles({ [SECRET_KEYS.passwordsProperties]: undefined }),
    later,
    /missing: ssl-passwords\.properties/,
  ],
  [
    'properties that disagree with a credentials file',
    () => withFiles({ [SECRET_KEYS.passwordsProperties]: Buffer.from('keystore.password=x\n') }),
    later,
    /disagrees with the keystore credentials file/,
  ],
  [
    'a hand-edited Secret',
    () => {
      const secret = toSecret(material, { name: 's' });
      secret.data['extra'] = 'eA==';
      return secret;
    },
    later,
    /does not match annotation kafka-warden\.io\/tls-content-hash/,
  ],
])('lists %s as a problem', (_what, input, now, problem) => {
  expect(inspectMaterial(input(), 'dir', now).problems).toEqual(
    expect.arrayContaining([expect.stringMatching(problem)]),
  );
});

test.each([
  [
    'a truststore password that does not fit',
    { [SECRET_KEYS.truststoreCredentials]: Buffer.from('wrong') },
    /^dir: kafka\.truststore\.p12: the password from its credentials does not open it/,
  ],
  [
    'a keystore that is not PKCS#12',
    { [SECRET_KEYS.keystore]: Buffer.from('hello') },
    /^dir: kafka\.keystore\.p12: not a PKCS#12/,
  ],
  [
    'no keystore password anywhere',
    { [SECRET_KEYS.keystoreCredentials]: undefined, [SECRET_KEYS.passwordsProperties]: undefined },
    /^dir: no keystore password/,
  ],
])('fails on %s, naming the file', async (_what, change, message) => {
  await expectWardenError(
    () => inspectMaterial(withFiles(change), 'dir', later),
    'KW_TLS_INPUT',
    message,
  );
});

test('reads a PEM bundle certificate by certificate', () => {
  expect(inspectCertificates(caPem.certificate + caPem.certificate, 'ca.crt')).toHaveLength(2);
});
