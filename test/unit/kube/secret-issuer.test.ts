/**
 * The Secret issuer's decisions and its concurrency protocol against an in-memory API that keeps
 * resourceVersions like the API server does, with races staged deterministically: a second issuer
 * (the other replica) runs a whole pass between this one's read and its write. The real API server
 * runs the same issuer in test/e2e/cluster/secret-issuer.test.ts.
 */
import {
  annotation,
  BROKER,
  CA,
  CLIENT,
  caSecret,
  cluster,
  HASH,
  issuer,
  log,
  brokerStatefulSet,
  STS,
  type Obj,
} from './fake-kube';
import { certificatesFromPem, fingerprint } from '../../../src/tls';

test('a broker StatefulSet without Secrets gets both, created with POST; the next pass writes nothing', async () => {
  const api = await cluster();
  await issuer(api).reconcile();
  expect(api.writes).toEqual([`POST ${BROKER}`, `POST ${CLIENT}`]);
  expect(Object.keys(api.objects.get(BROKER)?.data as object).sort()).toEqual([
    'kafka.keystore.p12',
    'kafka.truststore.p12',
    'key-credentials',
    'keystore-credentials',
    'ssl-passwords.properties',
    'truststore-credentials',
  ]);
  await issuer(api).reconcile();
  expect(api.writes).toHaveLength(2);
}, 30_000);

test('losing the create race: the 409 winner is read back and kept, nothing is replaced', async () => {
  const api = await cluster();
  const other = issuer(api);
  // The other replica runs a whole pass between this replica's read (404) and its create.
  api.beforeNext('POST', () => other.reconcile());
  await issuer(api).reconcile();
  expect(api.writes.filter((w) => w.startsWith('POST'))).toHaveLength(2);
  expect(api.writes.filter((w) => w.startsWith('PUT'))).toEqual([]);
  expect(log.text).toContain('created by another replica first; reading it back');
}, 30_000);

test('losing the renewal race: the 409 Conflict is re-read and re-decided, one renewal in all', async () => {
  const api = await cluster();
  await issuer(api).reconcile();
  const issued = annotation(api, BROKER, HASH);
  api.put(STS, brokerStatefulSet(5)); // a scale-up: names-missing
  const other = issuer(api);
  api.beforeNext('PUT', () => other.reconcile());
  await issuer(api).reconcile();
  // One renewal, then one update that clears the roll mark after the one patch of the template.
  expect(api.writes.filter((w) => w === `PUT ${BROKER}`)).toHaveLength(2);
  expect(api.writes.filter((w) => w.startsWith('PATCH'))).toEqual([`PATCH ${STS}`]);
  expect(annotation(api, BROKER, HASH)).not.toBe(issued);
  expect(annotation(api, BROKER, 'kafka-warden.io/tls-subject-alt-names')).toContain(
    'my-cp-cp-kafka-4.',
  );
  expect(log.text).toContain('changed concurrently; re-reading');
  // The client Secret carries no broker names: untouched.
  expect(api.writes.filter((w) => w === `PUT ${CLIENT}`)).toEqual([]);
}, 30_000);

test("someone else's Secret is never replaced", async () => {
  const api = await cluster();
  api.put(BROKER, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'my-cp-cp-kafka-broker-tls' },
    data: {},
  });
  await issuer(api).reconcile();
  expect(api.writes).toEqual([`POST ${CLIENT}`]);
}, 30_000);

test('material capped by a CA that expires inside the renewal window is not renewed in a loop', async () => {
  const api = await cluster(20);
  await issuer(api).reconcile();
  await issuer(api).reconcile();
  await issuer(api).reconcile();
  expect(api.writes.filter((w) => w.startsWith('PUT'))).toEqual([]);
  expect(log.text).toContain('the CA expires first');
}, 30_000);

test('no CA Secret: nothing is issued, and the problem is logged once', async () => {
  const api = await cluster();
  api.objects.delete(CA);
  const before = log.text.split('no usable CA').length;
  const one = issuer(api);
  await one.reconcile();
  await one.reconcile();
  expect(api.writes).toEqual([]);
  expect(log.text.split('no usable CA').length - before).toBe(1);
});

test('logs never carry passwords or store bytes', async () => {
  const api = await cluster();
  await issuer(api).reconcile();
  const data = api.objects.get(BROKER)?.data as Record<string, string>;
  const password = Buffer.from(data['keystore-credentials'] as string, 'base64').toString();
  expect(log.text).not.toContain(password);
  expect(log.text).not.toContain((data['kafka.keystore.p12'] as string).slice(0, 32));
  expect(log.text).not.toMatch(/PRIVATE KEY/);
}, 30_000);

test('a new CA the truststore does not trust yet is not applied; once trusted, it signs', async () => {
  const api = await cluster();
  await issuer(api).reconcile();
  api.put(CA, await caSecret());
  await issuer(api).reconcile();
  expect(api.writes.filter((w) => w.startsWith('PUT'))).toEqual([]);
  expect(log.text).toContain('does not trust the new CA yet');

  // Step 1 done by hand: the truststore annotation records the new CA (the data is not read for
  // this decision). The issuer now signs with the new CA.
  const next = api.objects.get(CA) as Obj;
  const nextPem = Buffer.from((next.data as Record<string, string>)['tls.crt'] as string, 'base64');
  const nextFingerprint = fingerprint(certificatesFromPem(nextPem.toString(), 'ca')[0]!);
  const broker = api.objects.get(BROKER) as Obj;
  const annotations = broker.metadata.annotations as Record<string, string>;
  const trusted = 'kafka-warden.io/tls-trusted-ca-fingerprints';
  annotations[trusted] = `${annotations[trusted]},${nextFingerprint}`;
  await issuer(api).reconcile();
  // Content-hash still matches (only annotations changed), so the reason is ca-changed. The
  // renewal, the roll (a new CA signs what the brokers present) and the mark cleared.
  expect(api.writes.filter((w) => !w.startsWith('POST'))).toEqual([
    `PUT ${BROKER}`,
    `PATCH ${STS}`,
    `PUT ${BROKER}`,
  ]);
  expect(annotation(api, BROKER, 'kafka-warden.io/tls-ca-fingerprint')).toBe(nextFingerprint);
}, 30_000);
