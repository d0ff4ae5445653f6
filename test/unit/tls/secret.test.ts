import { SECRET_KEYS } from '../../../src/core/tls-wiring';
import { loadYaml11, dumpYaml11 } from '../../../src/manifests/yaml11';
import { toSecret, type IssuedMaterial } from '../../../src/tls';
import { fingerprint } from '../../../src/tls/certificates';
import { ANNOTATIONS, contentHash, filesFromSecret } from '../../../src/tls/secret';
import { expectWardenError, testBroker } from './fixtures';

let material: IssuedMaterial;
let caPrint: string;

beforeAll(async () => {
  let ca;
  ({ ca, material } = await testBroker());
  caPrint = fingerprint(ca.certificate);
});

describe('toSecret', () => {
  test('makes an Opaque v1 Secret named and labelled for kafka-warden', () => {
    const secret = toSecret(material, {
      name: 'kf-broker-tls',
      namespace: 'kafka',
      labels: { team: 'data' },
    });
    expect(secret).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'kf-broker-tls',
        namespace: 'kafka',
        labels: {
          team: 'data',
          'app.kubernetes.io/managed-by': 'kafka-warden',
          'app.kubernetes.io/component': 'kafka-broker-tls',
        },
      },
    });
  });

  test('has one data key per file, in order, base64', () => {
    const secret = toSecret(material, { name: 's' });
    expect(Object.keys(secret.data)).toEqual(Object.values(SECRET_KEYS).sort());
    expect(filesFromSecret(secret, 's')).toEqual(material.files);
    expect(secret.metadata).not.toHaveProperty('namespace');
  });

  test('records CA fingerprint, validity, names and content hash for a password-less renewal check', () => {
    expect(toSecret(material, { name: 's' }).metadata.annotations).toEqual({
      [ANNOTATIONS.kind]: 'broker',
      [ANNOTATIONS.issuerFingerprint]: caPrint,
      [ANNOTATIONS.trustedFingerprints]: caPrint,
      [ANNOTATIONS.notBefore]: '2030-03-15T11:55:00.000Z',
      [ANNOTATIONS.notAfter]: '2031-03-15T12:00:00.000Z',
      [ANNOTATIONS.subjectAltNames]: 'kf-0.kf-headless.ns,10.0.0.1',
      [ANNOTATIONS.contentHash]: contentHash(material.files),
    });
  });

  test('survives the YAML 1.1 round trip Helm and kubectl put it through', () => {
    const secret = toSecret(material, { name: 's', namespace: 'ns' });
    expect(loadYaml11(dumpYaml11(secret))).toEqual(secret);
  });
});

describe('contentHash', () => {
  const a = { x: Buffer.from('ab'), y: Buffer.from('c') };
  test.each([
    ['the same files in another order', { y: Buffer.from('c'), x: Buffer.from('ab') }, true],
    [
      'a byte moved between neighbouring files',
      { x: Buffer.from('a'), y: Buffer.from('bc') },
      false,
    ],
    ['a renamed file', { x: Buffer.from('ab'), z: Buffer.from('c') }, false],
  ])('given %s: equal=%s', (_what, b, equal) => {
    expect(contentHash(a) === contentHash(b)).toBe(equal);
  });
});

describe('filesFromSecret', () => {
  test('reads stringData too, which wins over data as on the API server', () => {
    const files = filesFromSecret(
      {
        kind: 'Secret',
        data: { a: Buffer.from('old').toString('base64') },
        stringData: { a: 'new', b: 'text' },
      },
      's',
    );
    expect(files).toEqual({ a: Buffer.from('new'), b: Buffer.from('text') });
  });

  test.each([
    ['a ConfigMap', { kind: 'ConfigMap', data: {} }, /^m\.yaml: not a Secret manifest/],
    ['a list', [], /not a Secret manifest/],
    [
      'data that is not base64',
      { kind: 'Secret', data: { 'keystore-credentials': 'hunter2!' } },
      /^m\.yaml: data\.keystore-credentials is not base64$/,
    ],
    [
      'a number in stringData',
      { kind: 'Secret', stringData: { k: 5 } },
      /stringData\.k is not a string/,
    ],
  ])('refuses %s without quoting a value', async (_what, manifest, message) => {
    const error = await expectWardenError(
      () => filesFromSecret(manifest, 'm.yaml'),
      'KW_TLS_INPUT',
      message,
    );
    expect(error.message).not.toContain('hunter2');
  });
});
