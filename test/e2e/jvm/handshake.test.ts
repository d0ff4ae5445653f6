// Real JSSE handshakes, as Kafka makes them: the broker's keystore on an SSLServerSocket that
// requires client certificates, clients verifying the broker's name ("HTTPS" endpoint
// identification). Every name in the certificate must work, nothing else may.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { certificatesFromPem } from '../../../src/tls';
import { inspectMaterial } from '../../../src/tls/inspect';
import { readMaterialDir } from '../../../src/tls/file-io';
import { runHandshakes, type HandshakeCase, type HandshakeResult } from './jvm';
import { CLUSTER, createFixture, type Fixture } from './material';

jest.setTimeout(300_000);

const PROTOCOLS = ['TLSv1.2', 'TLSv1.3'] as const;

let f: Fixture;
let brokerNames: string[];
let results: Map<string, HandshakeResult>;

function cases(
  id: string,
  server: keyof Fixture,
  clientKey: keyof Fixture | null,
  clientTrust: keyof Fixture,
  host: string,
): HandshakeCase[] {
  return PROTOCOLS.map((protocol) => ({
    id: `${id} ${protocol}`,
    protocol,
    serverDir: f[server],
    clientKeyDir: clientKey === null ? null : f[clientKey],
    clientTrustDir: f[clientTrust],
    host,
  }));
}

beforeAll(() => {
  f = createFixture();
  const report = inspectMaterial(readMaterialDir(f.broker), f.broker, new Date());
  const cert = report.keystore?.certificate;
  brokerNames = [...(cert?.dnsNames ?? []), ...(cert?.ipAddresses ?? [])];
  // Sanity: the certificate the handshakes exercise is the one the CLI was asked for.
  const [ca] = certificatesFromPem(readFileSync(path.join(f.ca, 'ca.crt'), 'utf8'), 'ca.crt');
  expect(ca).toBeDefined();
  expect(brokerNames).toContain(`kf-1.kf-headless.${CLUSTER.namespace}.svc.cluster.local`);
  expect(brokerNames).toContain('b1.kafka.example.com');
  expect(brokerNames).toContain('127.0.0.1');

  results = runHandshakes([
    ...brokerNames.flatMap((name) => cases(`name ${name}`, 'broker', 'client', 'client', name)),
    ...cases('outside', 'broker', 'client', 'client', 'kafka.example.org'),
    ...cases(
      'unknown broker',
      'broker',
      'client',
      'client',
      'kf-2.kf-headless.ns.svc.cluster.local',
    ),
    ...cases('no client cert', 'broker', null, 'client', 'kf-0.kf-headless.ns'),
    ...cases('inter-broker', 'broker', 'broker', 'broker', 'kf-1.kf-headless.ns'),
    ...cases(
      'rotation step 2, updated client',
      'brokerSignedByNext',
      'clientTrustsBoth',
      'clientTrustsBoth',
      'kf-0.kf-headless.ns',
    ),
    ...cases(
      'rotation step 2, client on old material',
      'brokerSignedByNext',
      'client',
      'client',
      'kf-0.kf-headless.ns',
    ),
    ...cases(
      'rotation step 3, client on old leaf',
      'brokerNextOnly',
      'clientTrustsBoth',
      'clientTrustsBoth',
      'kf-0.kf-headless.ns',
    ),
  ]);
});
afterAll(() => f && rmSync(f.root, { recursive: true, force: true }));

function result(id: string): HandshakeResult {
  const r = results.get(id);
  if (!r) throw new Error(`no result for case "${id}"`);
  return r;
}

describe.each(PROTOCOLS)('%s', (protocol) => {
  test('succeeds for every name in the broker certificate', () => {
    const failed = brokerNames
      .map((name) => [name, result(`name ${name} ${protocol}`)] as const)
      .filter(([, r]) => !r.ok);
    expect(failed).toEqual([]);
    expect(brokerNames.length).toBe(2 * 4 + 4 + 4 + 2 + 1);
  });

  test.each([
    [
      'a name outside the certificate',
      'outside',
      /No subject alternative DNS name matching kafka\.example\.org/,
    ],
    [
      'a broker the certificate does not name',
      'unknown broker',
      /No subject alternative DNS name matching kf-2/,
    ],
    [
      'a client without a certificate',
      'no client cert',
      /server=SSLHandshakeException: Empty client certificate chain/,
    ],
    [
      'a client that does not trust the new CA yet',
      'rotation step 2, client on old material',
      /client=SSLHandshakeException: PKIX path building failed/,
    ],
    // The server's CertificateRequest names the CAs it trusts; JSSE's key manager then offers no
    // certificate at all rather than one from another CA.
    [
      'a client certificate from a CA no longer trusted',
      'rotation step 3, client on old leaf',
      /server=SSLHandshakeException: Empty client certificate chain/,
    ],
  ])('fails for %s', (_what, id, reason) => {
    const r = result(`${id} ${protocol}`);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(reason);
  });

  test.each([
    ['brokers with each other (the broker certificate as a client)', 'inter-broker'],
    [
      'a client trusting both CAs with a broker signed by the new one',
      'rotation step 2, updated client',
    ],
  ])('succeeds for %s', (_what, id) => {
    expect(result(`${id} ${protocol}`)).toEqual({ ok: true, detail: '' });
  });
});
