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
  FakeApi,
  HASH,
  issuer,
  log,
  logLines,
  brokerStatefulSet,
  NS,
  STS,
  type Obj,
} from './fake-kube';
import { resolveConfig } from '../../../../src/core/config';
import {
  CLIENT_REQUEST_LABEL,
  KAFKA_CLUSTER_ANNOTATION,
} from '../../../../src/kube/issuer/client-requests';
import {
  certificatesFromPem,
  commonNameOf,
  filesFromSecret,
  fingerprint,
} from '../../../../src/tls';
import { organizationalUnitOf } from '../../../../src/tls/certificates';
import { passwordsFromFiles } from '../../../../src/tls/passwords';
import { decodeKeystore } from '../../../../src/tls/pkcs12';

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

describe('only the StatefulSets the platform named', () => {
  const stsPath = (ns: string, name: string) =>
    `/apis/apps/v1/namespaces/${ns}/statefulsets/${name}`;
  const secretPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/secrets/${name}`;
  const SANS = 'kafka-warden.io/tls-subject-alt-names';
  const REFUSED = 'no Secrets for this Kafka broker StatefulSet';
  const named = (...clusters: string[]) => ({
    authorisation: { clusters: new Set(clusters), externalCluster: null },
  });

  test('a look-alike of the production brokers in another namespace gets nothing: not their principal, not a Secret', async () => {
    const api = await cluster();
    // The stock broker pod template, under the production StatefulSet's name, in a team namespace.
    api.put(stsPath('team-a', 'my-cp-cp-kafka'), brokerStatefulSet(3, 'my-cp-cp-kafka', 'team-a'));
    api.put(stsPath('team-a', 'team-kafka'), brokerStatefulSet(3, 'team-kafka', 'team-a'));
    await issuer(api).reconcile();
    expect(api.writes).toEqual([`POST ${BROKER}`, `POST ${CLIENT}`]);
    const refused = logLines(REFUSED).filter((l) => l.namespace === 'team-a');
    expect(refused.map((l) => [l.statefulset, l.reason, l.level])).toEqual([
      ['my-cp-cp-kafka', 'not-authorised', 40],
      ['team-kafka', 'not-authorised', 40],
    ]);
    expect(String(refused[0]?.problem)).toContain(
      'team-a/my-cp-cp-kafka is not in --issuer-clusters',
    );
    // Logged once, not every pass.
    await issuer(api).reconcile();
    expect(api.writes).toHaveLength(2);
  }, 30_000);

  /** The subject of the certificate in a Secret's keystore, as Kafka names the principal. */
  const principalOf = (api: FakeApi, path: string) => {
    const files = filesFromSecret(api.objects.get(path), path);
    const { keystore } = passwordsFromFiles(files, path);
    const [leaf] = decodeKeystore(files['kafka.keystore.p12'] as Buffer, keystore, path).chain;
    return { cn: commonNameOf(leaf!), ou: organizationalUnitOf(leaf!) };
  };

  test('one StatefulSet name named in two namespaces: two principals, each with its namespace', async () => {
    const api = await cluster();
    api.put(stsPath('team-a', 'my-cp-cp-kafka'), brokerStatefulSet(3, 'my-cp-cp-kafka', 'team-a'));
    await issuer(api, named(`${NS}/my-cp-cp-kafka`, 'team-a/my-cp-cp-kafka')).reconcile();
    expect(principalOf(api, BROKER)).toEqual({ cn: 'my-cp-cp-kafka.kafka', ou: null });
    expect(principalOf(api, CLIENT)).toEqual({ cn: 'my-cp-cp-kafka-client.kafka', ou: null });
    expect(principalOf(api, secretPath('team-a', 'my-cp-cp-kafka-broker-tls'))).toEqual({
      cn: 'my-cp-cp-kafka.team-a',
      ou: null,
    });
    expect(principalOf(api, secretPath('team-a', 'my-cp-cp-kafka-client-tls')).cn).toBe(
      'my-cp-cp-kafka-client.team-a',
    );
  }, 30_000);

  test('a cluster the platform named in another namespace gets its Secrets, with its own names', async () => {
    const api = await cluster();
    api.put(stsPath('team-a', 'team-kafka'), brokerStatefulSet(3, 'team-kafka', 'team-a'));
    await issuer(api, named(`${NS}/my-cp-cp-kafka`, 'team-a/team-kafka')).reconcile();
    expect(api.writes).toEqual([
      `POST ${BROKER}`,
      `POST ${CLIENT}`,
      `POST ${secretPath('team-a', 'team-kafka-broker-tls')}`,
      `POST ${secretPath('team-a', 'team-kafka-client-tls')}`,
    ]);
    const sans = annotation(api, secretPath('team-a', 'team-kafka-broker-tls'), SANS)?.split(',');
    expect(sans).toContain('team-kafka-0.team-kafka-headless.team-a.svc.cluster.local');
    expect(sans?.every((name) => !name.includes('my-cp-cp-kafka'))).toBe(true);
  }, 30_000);

  test('a client Secret request naming a look-alike is not filled', async () => {
    const api = await cluster();
    api.put(stsPath('team-a', 'my-cp-cp-kafka'), brokerStatefulSet(3, 'my-cp-cp-kafka', 'team-a'));
    const request = secretPath('team-a', 'app-tls');
    api.put(request, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'app-tls',
        namespace: 'team-a',
        labels: { [CLIENT_REQUEST_LABEL]: 'true' },
        annotations: { [KAFKA_CLUSTER_ANNOTATION]: 'my-cp-cp-kafka' },
      },
      data: {},
    });
    await issuer(api).reconcile();
    expect(api.writes.filter((w) => w.includes('team-a'))).toEqual([]);
    expect(log.text).toContain('no Kafka broker StatefulSet team-a/my-cp-cp-kafka with TLS that');
  }, 30_000);

  test('external host names only in the certificate of the one cluster the platform gave them to', async () => {
    const api = await cluster();
    api.put(stsPath('team-a', 'team-kafka'), brokerStatefulSet(3, 'team-kafka', 'team-a'));
    const config = resolveConfig({
      listeners: {
        external: { mode: 'hostname', port: 443, hostTemplate: 'b{id}.kafka.example.com' },
      },
    });
    await issuer(api, {
      config,
      authorisation: {
        clusters: new Set([`${NS}/my-cp-cp-kafka`, 'team-a/team-kafka']),
        externalCluster: `${NS}/my-cp-cp-kafka`,
      },
    }).reconcile();
    const production = annotation(api, BROKER, SANS)?.split(',') ?? [];
    const team = annotation(api, secretPath('team-a', 'team-kafka-broker-tls'), SANS)?.split(',');
    expect(production).toEqual(
      expect.arrayContaining([
        'b0.kafka.example.com',
        'b1.kafka.example.com',
        'b2.kafka.example.com',
      ]),
    );
    expect(team).toContain('team-kafka-2.team-kafka-headless.team-a');
    expect(team?.filter((name) => name.endsWith('.example.com'))).toEqual([]);
  }, 30_000);

  test('16,000 replicas are refused at once with an error naming the limit; lowered, they are issued', async () => {
    const api = await cluster();
    api.put(STS, brokerStatefulSet(16_000));
    const started = Date.now();
    await issuer(api).reconcile();
    // Building and de-duplicating the names of 16,000 brokers took ~20 s on this event loop.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(api.writes).toEqual([]);
    const [refused] = logLines(REFUSED).filter((l) => String(l.problem).includes('16000'));
    expect(refused).toMatchObject({
      level: 50,
      namespace: NS,
      statefulset: 'my-cp-cp-kafka',
      reason: 'unusable-spec',
      problem: 'spec.replicas 16000 is above the 1000 brokers one certificate names',
    });
    api.put(STS, brokerStatefulSet(3));
    await issuer(api).reconcile();
    expect(api.writes).toEqual([`POST ${BROKER}`, `POST ${CLIENT}`]);
  }, 30_000);

  test('a named StatefulSet whose names cannot be built is refused alone; the pass goes on', async () => {
    const api = new FakeApi();
    api.put(CA, await caSecret());
    // Listed first: its failure must not end the pass before the next StatefulSet.
    const dotted = brokerStatefulSet(3, 'dotted-kafka', 'team-a');
    (dotted.spec as { serviceName: string }).serviceName = 'kafka.prod';
    api.put(stsPath('team-a', 'dotted-kafka'), dotted);
    const underscored = brokerStatefulSet(3, 'underscored-kafka', 'team-a');
    (underscored.spec as { serviceName: string }).serviceName = 'kafka_headless';
    api.put(stsPath('team-a', 'underscored-kafka'), underscored);
    api.put(STS, brokerStatefulSet());
    await issuer(
      api,
      named(`${NS}/my-cp-cp-kafka`, 'team-a/dotted-kafka', 'team-a/underscored-kafka'),
    ).reconcile();
    expect(api.writes).toEqual([`POST ${BROKER}`, `POST ${CLIENT}`]);
    const problems = logLines(REFUSED)
      .filter((l) => String(l.statefulset).endsWith('ed-kafka'))
      .map((l) => l.problem);
    expect(problems).toEqual([
      'spec.serviceName "kafka.prod" is not a Service name (one DNS label)',
      'spec.serviceName "kafka_headless" is not a Service name (one DNS label)',
    ]);
  }, 30_000);
});
