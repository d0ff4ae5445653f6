/**
 * Client Secrets users ask for with a label (src/kube/client-requests.ts and the issuer's pass over
 * them): which requests are honoured, with what subject, and how the issuer fills and renews them
 * without touching what it did not write.
 */
import {
  CLIENT_NAME_ANNOTATION,
  CLIENT_NAMESPACES_ANNOTATION,
  CLIENT_REQUEST_LABEL,
  clientRequestFor,
  filledRequest,
  KAFKA_CLUSTER_ANNOTATION,
  materialView,
  missingTrust,
  requestState,
  SUBJECT_ANNOTATION,
} from '../../../../src/kube/issuer/client-requests';
import {
  commonNameOf,
  createCa,
  filesFromSecret,
  fingerprint,
  loadCa,
  rotateMaterial,
  toSecret,
} from '../../../../src/tls';
import { organizationalUnitOf } from '../../../../src/tls/certificates';
import { passwordsFromFiles } from '../../../../src/tls/passwords';
import { decodeKeystore, decodeTruststore } from '../../../../src/tls/pkcs12';
import {
  annotation,
  brokerStatefulSet,
  cluster,
  HASH,
  issuer,
  log,
  logLines,
  NS,
  type Obj,
} from './fake-kube';
import type { KubeObject } from '../../../../src/core/k8s-types';

const SIX_KEYS = [
  'kafka.keystore.p12',
  'kafka.truststore.p12',
  'key-credentials',
  'keystore-credentials',
  'ssl-passwords.properties',
  'truststore-credentials',
];

function request(
  namespace: string,
  name: string,
  annotations: Record<string, string> = { [KAFKA_CLUSTER_ANNOTATION]: 'my-cp-cp-kafka' },
  labels: Record<string, string> = { [CLIENT_REQUEST_LABEL]: 'true' },
  data: Record<string, string> = {},
): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name, namespace, labels, annotations },
    data,
  };
}

describe('clientRequestFor', () => {
  const kafka = brokerStatefulSet();
  const consenting = brokerStatefulSet(3, 'shared-kafka', 'kafka');
  consenting.metadata.annotations = { [CLIENT_NAMESPACES_ANNOTATION]: 'team-a, team-b' };
  const open = brokerStatefulSet(3, 'open-kafka', 'kafka');
  open.metadata.annotations = { [CLIENT_NAMESPACES_ANNOTATION]: '*' };
  const brokers = new Map<string, KubeObject>([
    ['kafka/my-cp-cp-kafka', kafka],
    ['kafka/shared-kafka', consenting],
    ['kafka/open-kafka', open],
  ]);

  test('same namespace: CN the Secret name, OU the namespace', () => {
    expect(clientRequestFor(request('kafka', 'alice'), brokers)).toEqual({
      ok: true,
      request: {
        namespace: 'kafka',
        name: 'alice',
        cluster: { namespace: 'kafka', name: 'my-cp-cp-kafka' },
        commonName: 'alice',
        organizationalUnit: 'kafka',
        subject: 'CN=alice,OU=kafka',
      },
    });
  });

  test('a client name annotation sets the CN; the OU stays the namespace', () => {
    const verdict = clientRequestFor(
      request('kafka', 'alice-tls', {
        [KAFKA_CLUSTER_ANNOTATION]: 'my-cp-cp-kafka',
        [CLIENT_NAME_ANNOTATION]: 'my-cp-cp-kafka',
      }),
      brokers,
    );
    // Even the brokers' StatefulSet name gives `CN=my-cp-cp-kafka,OU=kafka`: with an OU, never the
    // brokers' principal (`CN=my-cp-cp-kafka.kafka`).
    expect(verdict).toMatchObject({ ok: true, request: { subject: 'CN=my-cp-cp-kafka,OU=kafka' } });
  });

  test('another namespace only with the StatefulSet consenting to it', () => {
    const ask = (ns: string, cluster: string) =>
      clientRequestFor(request(ns, 'app', { [KAFKA_CLUSTER_ANNOTATION]: cluster }), brokers);
    const problem = (verdict: ReturnType<typeof ask>) => (verdict.ok ? '' : verdict.problem);
    expect(problem(ask('team-a', 'kafka/my-cp-cp-kafka'))).toContain(
      `${CLIENT_NAMESPACES_ANNOTATION} must list it`,
    );
    expect(ask('team-b', 'kafka/shared-kafka')).toMatchObject({
      ok: true,
      request: {
        subject: 'CN=app,OU=team-b',
        cluster: { namespace: 'kafka', name: 'shared-kafka' },
      },
    });
    expect(ask('team-c', 'kafka/shared-kafka')).toMatchObject({ ok: false });
    expect(ask('anyone', 'kafka/open-kafka')).toMatchObject({ ok: true });
    // A bare name is looked up in the Secret's own namespace.
    expect(problem(ask('team-a', 'shared-kafka'))).toContain(
      'no Kafka broker StatefulSet team-a/shared-kafka',
    );
  });

  test.each([
    ['no cluster annotation', request('kafka', 'a', {}), /no kafka-warden.io\/kafka-cluster/],
    [
      'a malformed reference',
      request('kafka', 'a', { [KAFKA_CLUSTER_ANNOTATION]: 'a/b/c' }),
      /is not <statefulset>/,
    ],
    [
      'an unknown cluster',
      request('kafka', 'a', { [KAFKA_CLUSTER_ANNOTATION]: 'nope' }),
      /no Kafka broker StatefulSet kafka\/nope/,
    ],
    [
      'a client name with a comma (it would change the DN)',
      request('kafka', 'a', {
        [KAFKA_CLUSTER_ANNOTATION]: 'my-cp-cp-kafka',
        [CLIENT_NAME_ANNOTATION]: 'x,O=evil',
      }),
      /client name/,
    ],
    [
      'a kubernetes.io/tls Secret',
      { ...request('kafka', 'a'), type: 'kubernetes.io/tls' },
      /only an Opaque Secret/,
    ],
    ['no label', request('kafka', 'a', undefined, {}), /not labelled/],
    [
      'the label with another value',
      request('kafka', 'a', undefined, { [CLIENT_REQUEST_LABEL]: 'false' }),
      /not labelled/,
    ],
  ])('refused: %s', (_what, secret, problem) => {
    const verdict = clientRequestFor(secret, brokers);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.problem).toMatch(problem);
  });
});

describe('request state and the update body', () => {
  test('empty, holding foreign data under our keys, or issued by kafka-warden', () => {
    expect(requestState(request('kafka', 'a'))).toBe('empty');
    expect(requestState(request('kafka', 'a', {}, {}, { other: 'eA==' }))).toBe('empty');
    expect(requestState(request('kafka', 'a', {}, {}, { 'kafka.keystore.p12': 'eA==' }))).toBe(
      'foreign-keys',
    );
    expect(
      requestState(
        request('kafka', 'a', { 'kafka-warden.io/tls-kind': 'client', [HASH]: 'h' }, {}, {}),
      ),
    ).toBe('issued');
  });

  test('missingTrust: CAs the brokers trust and the request does not', () => {
    const secret = request('kafka', 'a', { 'kafka-warden.io/tls-trusted-ca-fingerprints': 'a,b' });
    expect(missingTrust(secret, ['a'])).toEqual([]);
    expect(missingTrust(secret, ['a', 'c'])).toEqual(['c']);
    expect(missingTrust(request('kafka', 'a', {}), ['a'])).toEqual(['a']);
  });

  test('materialView: only the six keys count, as if kafka-warden managed the Secret', () => {
    const secret = request(
      'kafka',
      'a',
      { x: 'y' },
      { [CLIENT_REQUEST_LABEL]: 'true' },
      {
        'kafka.keystore.p12': 'AA==',
        mine: 'AQ==',
      },
    );
    expect(materialView(secret)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        labels: { 'app.kubernetes.io/managed-by': 'kafka-warden' },
        annotations: { x: 'y' },
      },
      data: { 'kafka.keystore.p12': 'AA==' },
    });
  });

  test("filledRequest keeps the user's labels, annotations, keys and resourceVersion", () => {
    const current = request(
      'kafka',
      'alice',
      { [KAFKA_CLUSTER_ANNOTATION]: 'my-cp-cp-kafka', note: 'mine' },
      { [CLIENT_REQUEST_LABEL]: 'true', 'app.kubernetes.io/managed-by': 'Helm' },
      { 'application.properties': 'eA==' },
    );
    current.metadata.resourceVersion = '42';
    const manifest = toSecret(
      {
        files: { 'kafka.keystore.p12': Buffer.from('k') },
        summary: {
          kind: 'client',
          commonName: 'alice',
          dnsNames: [],
          ipAddresses: [],
          notBefore: new Date(0),
          notAfter: new Date(1000),
          issuerFingerprint: 'f',
          trustedFingerprints: ['f'],
        },
      },
      { name: 'alice', namespace: 'kafka' },
    );
    const verdict = clientRequestFor(
      current,
      new Map([['kafka/my-cp-cp-kafka', brokerStatefulSet()]]),
    );
    if (!verdict.ok) throw new Error(verdict.problem);
    const body = filledRequest(current, manifest, verdict.request) as Obj;
    expect(body.metadata.resourceVersion).toBe('42');
    expect(body.metadata.labels).toEqual(current.metadata.labels);
    expect(body.metadata.annotations).toMatchObject({
      note: 'mine',
      [KAFKA_CLUSTER_ANNOTATION]: 'my-cp-cp-kafka',
      [SUBJECT_ANNOTATION]: 'CN=alice,OU=kafka',
      'kafka-warden.io/tls-kind': 'client',
    });
    expect(body.data).toEqual({
      'application.properties': 'eA==',
      'kafka.keystore.p12': Buffer.from('k').toString('base64'),
    });
  });
});

const DAY = 24 * 60 * 60 * 1000;
const path = (ns: string, name: string) => `/api/v1/namespaces/${ns}/secrets/${name}`;

function certificateOf(secret: Obj) {
  const files = filesFromSecret(secret, 'the Secret');
  const passwords = passwordsFromFiles(files, 'the Secret');
  const keystore = decodeKeystore(files['kafka.keystore.p12'] as Buffer, passwords.keystore, 'ks');
  const trusted = decodeTruststore(
    files['kafka.truststore.p12'] as Buffer,
    passwords.truststore,
    'ts',
  ).map((entry) => fingerprint(entry.certificate));
  return { leaf: keystore.chain[0]!, trusted };
}

describe('the issuer', () => {
  test("fills a labelled request with the six keys, keeping the user's key and labels", async () => {
    const api = await cluster();
    api.put(
      path(NS, 'alice'),
      request(
        NS,
        'alice',
        undefined,
        { [CLIENT_REQUEST_LABEL]: 'true', team: 'a' },
        {
          'application.properties': Buffer.from('bootstrap.servers=x').toString('base64'),
        },
      ),
    );
    await issuer(api).reconcile();
    const filled = api.objects.get(path(NS, 'alice')) as Obj;
    expect(Object.keys(filled.data as object).sort()).toEqual(
      ['application.properties', ...SIX_KEYS].sort(),
    );
    expect(filled.metadata.labels).toEqual({ [CLIENT_REQUEST_LABEL]: 'true', team: 'a' });
    expect(filled.metadata.annotations).toMatchObject({
      [SUBJECT_ANNOTATION]: 'CN=alice,OU=kafka',
      'kafka-warden.io/tls-kind': 'client',
    });
    for (const key of ['kafka-warden.io/tls-not-after', 'kafka-warden.io/tls-ca-fingerprint']) {
      expect(filled.metadata.annotations?.[key]).toMatch(/./);
    }
    const { leaf, trusted } = certificateOf(filled);
    expect(commonNameOf(leaf)).toBe('alice');
    expect(organizationalUnitOf(leaf)).toBe('kafka');
    // Trusts the CA the brokers' certificate comes from.
    const brokerCa = annotation(
      api,
      `${path(NS, 'my-cp-cp-kafka-broker-tls')}`,
      'kafka-warden.io/tls-ca-fingerprint',
    );
    expect(trusted).toContain(brokerCa);
    expect(
      logLines('issued').some((l) => l.secret === 'alice' && l.kind === 'client-request'),
    ).toBe(true);
    expect(log.text).not.toContain(
      Buffer.from(
        (filled.data as Record<string, string>)['keystore-credentials'] as string,
        'base64',
      ).toString(),
    );

    // Current: the next pass writes nothing.
    const version = filled.metadata.resourceVersion;
    await issuer(api).reconcile();
    expect(api.objects.get(path(NS, 'alice'))?.metadata.resourceVersion).toBe(version);
  }, 30_000);

  test('an unlabelled Secret with the same annotation, and foreign data under our keys, are left alone', async () => {
    const api = await cluster();
    api.put(path(NS, 'bob'), request(NS, 'bob', undefined, {}));
    api.put(
      path(NS, 'carol'),
      request(NS, 'carol', undefined, undefined, { 'kafka.keystore.p12': 'AAAA' }),
    );
    await issuer(api).reconcile();
    expect(api.writes.filter((w) => w.includes('/bob') || w.includes('/carol'))).toEqual([]);
    expect(
      logLines('the requested Secret already holds keys kafka-warden would write; left alone'),
    ).not.toHaveLength(0);
  }, 30_000);

  test('renews in the renewal window and on a new client name, keeping the user key', async () => {
    const api = await cluster(3650);
    api.put(
      path(NS, 'alice'),
      request(NS, 'alice', undefined, undefined, { mine: Buffer.from('1').toString('base64') }),
    );
    await issuer(api).reconcile();
    const first = annotation(api, path(NS, 'alice'), HASH);
    await issuer(api, { clock: () => new Date(Date.now() + 340 * DAY) }).reconcile();
    const second = annotation(api, path(NS, 'alice'), HASH);
    expect(second).not.toBe(first);
    expect((api.objects.get(path(NS, 'alice'))?.data as Record<string, string>).mine).toBe(
      Buffer.from('1').toString('base64'),
    );
    expect(logLines('renewed').some((l) => l.secret === 'alice' && l.reason === 'expiring')).toBe(
      true,
    );

    const current = api.objects.get(path(NS, 'alice')) as Obj;
    current.metadata.annotations = {
      ...current.metadata.annotations,
      [CLIENT_NAME_ANNOTATION]: 'alice-2',
    };
    await issuer(api).reconcile();
    const renamed = api.objects.get(path(NS, 'alice')) as Obj;
    expect(renamed.metadata.annotations?.[SUBJECT_ANNOTATION]).toBe('CN=alice-2,OU=kafka');
    expect(commonNameOf(certificateOf(renamed).leaf)).toBe('alice-2');
  }, 30_000);

  test("follows the brokers when they trust one more CA (a rotation's step 1), once", async () => {
    const api = await cluster();
    api.put(path(NS, 'alice'), request(NS, 'alice'));
    await issuer(api).reconcile();
    // Step 1 on the brokers by hand: same CA signs, the next CA trusted as well.
    const caObj = api.objects.get('/api/v1/namespaces/platform/secrets/ca') as Obj;
    const caData = caObj.data as Record<string, string>;
    const signing = loadCa(
      {
        certificate: Buffer.from(caData['tls.crt'] as string, 'base64').toString(),
        key: Buffer.from(caData['tls.key'] as string, 'base64').toString(),
      },
      { certificate: 'ca.crt', key: 'ca.key' },
      new Date(),
    );
    const next = await createCa({ commonName: 'next CA', bits: 2048 });
    const brokerPath = path(NS, 'my-cp-cp-kafka-broker-tls');
    const broker = api.objects.get(brokerPath) as Obj;
    const stepOne = await rotateMaterial({
      current: filesFromSecret(broker, 'broker'),
      source: 'broker',
      ca: signing,
      alsoTrust: [next.ca.certificate],
    });
    const manifest = toSecret(stepOne, {
      name: 'my-cp-cp-kafka-broker-tls',
      namespace: NS,
      labels: broker.metadata.labels ?? {},
    });
    api.put(brokerPath, { ...manifest, metadata: { ...manifest.metadata } });
    await issuer(api).reconcile();
    const renewed = api.objects.get(path(NS, 'alice')) as Obj;
    expect(certificateOf(renewed).trusted).toContain(fingerprint(next.ca.certificate));
    expect(
      logLines('renewed').some((l) => l.secret === 'alice' && l.reason === 'trust-added'),
    ).toBe(true);
    // Converged: nothing more to follow.
    const version = renewed.metadata.resourceVersion;
    await issuer(api).reconcile();
    expect(api.objects.get(path(NS, 'alice'))?.metadata.resourceVersion).toBe(version);
  }, 30_000);

  test('two replicas filling the same request converge on one keystore', async () => {
    const api = await cluster();
    api.put(path(NS, 'alice'), request(NS, 'alice'));
    await issuer(api).reconcile(); // the StatefulSet's own Secrets first
    api.put(path(NS, 'dave'), request(NS, 'dave'));
    const other = issuer(api);
    api.beforeNext('PUT', () => other.reconcile());
    await issuer(api).reconcile();
    expect(api.writes.filter((w) => w === `PUT ${path(NS, 'dave')}`)).toHaveLength(1);
    expect(logLines('changed concurrently; re-reading').some((l) => l.secret === 'dave')).toBe(
      true,
    );
  }, 30_000);

  test('another namespace is filled only after the StatefulSet consents', async () => {
    const api = await cluster();
    const ask = request('team-a', 'app', { [KAFKA_CLUSTER_ANNOTATION]: `${NS}/my-cp-cp-kafka` });
    api.put(path('team-a', 'app'), ask);
    await issuer(api).reconcile();
    expect(api.writes.filter((w) => w.includes('team-a'))).toEqual([]);
    const sts = api.objects.get(
      `/apis/apps/v1/namespaces/${NS}/statefulsets/my-cp-cp-kafka`,
    ) as Obj;
    sts.metadata.annotations = { [CLIENT_NAMESPACES_ANNOTATION]: 'team-a' };
    await issuer(api).reconcile();
    expect(annotation(api, path('team-a', 'app'), SUBJECT_ANNOTATION)).toBe('CN=app,OU=team-a');
  }, 30_000);

  test('a request in an excluded namespace gets nothing, even with consent', async () => {
    const api = await cluster();
    api.put(
      path('kube-system', 'x'),
      request('kube-system', 'x', { [KAFKA_CLUSTER_ANNOTATION]: `${NS}/my-cp-cp-kafka` }),
    );
    const sts = api.objects.get(
      `/apis/apps/v1/namespaces/${NS}/statefulsets/my-cp-cp-kafka`,
    ) as Obj;
    sts.metadata.annotations = { [CLIENT_NAMESPACES_ANNOTATION]: '*' };
    await issuer(api).reconcile();
    expect(api.writes.filter((w) => w.includes('kube-system'))).toEqual([]);
  }, 30_000);
});
