/**
 * The Secret issuer of `kafka-warden serve --issue-secrets` (src/kube/secret-issuer.ts) against a
 * real API server, two replicas at once: every assertion reads the Secrets back from the API server.
 * No webhooks are registered here (webhooks.test.ts covers them with the issuer on); StatefulSets
 * are created directly from the stock chart's render.
 */
import {
  apiRequest,
  eventually,
  startControlPlane,
  type ControlPlane,
} from '../../support/control-plane';
import {
  createCaSecret,
  createNamespace,
  get,
  kafkaStatefulSet,
  list,
  mergePatch,
  stockObject,
  type KubeObj,
} from '../../support/cluster-kube';
import { counter, startClusterServe, type ClusterServe } from '../../support/cluster-serve';
import {
  certificatesFromPem,
  filesFromSecret,
  fingerprint,
  loadCa,
  rotateMaterial,
  toSecret,
  type CaPem,
} from '../../../src/tls';

const PLATFORM = 'kafka-warden-system';
const CA = 'kafka-warden-ca';
const SIX_KEYS = [
  'kafka.keystore.p12',
  'kafka.truststore.p12',
  'key-credentials',
  'keystore-credentials',
  'ssl-passwords.properties',
  'truststore-credentials',
];
const A = {
  kind: 'kafka-warden.io/tls-kind',
  ca: 'kafka-warden.io/tls-ca-fingerprint',
  trusted: 'kafka-warden.io/tls-trusted-ca-fingerprints',
  sans: 'kafka-warden.io/tls-subject-alt-names',
  hash: 'kafka-warden.io/tls-content-hash',
};

let cp: ControlPlane;
const replicas: ClusterServe[] = [];
const ISSUER_ARGS = [
  '--issue-secrets',
  '--ca-secret',
  `${PLATFORM}/${CA}`,
  '--issuer-interval',
  '1',
  '--issuer-exclude-namespaces',
  'kube-system,kube-node-lease,kw-excluded',
];

const secretPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/secrets/${name}`;

async function secretOf(ns: string, name: string): Promise<KubeObj> {
  return eventually(`Secret ${ns}/${name}`, () => get(cp, secretPath(ns, name)), 30_000);
}

async function createStatefulSet(sts: KubeObj): Promise<void> {
  const res = await apiRequest(
    cp,
    'POST',
    `/apis/apps/v1/namespaces/${sts.metadata.namespace}/statefulsets`,
    sts,
  );
  expect(res.status).toBe(201);
}

/** Log lines of every replica with this message about this Secret. */
function events(msg: string, namespace: string, secret: string) {
  return replicas
    .flatMap((r) => r.logLines())
    .filter((l) => l.msg === msg && l.namespace === namespace && l.secret === secret);
}

/** Passes completed by every replica since now, at least `n` each. */
async function passes(n: number): Promise<void> {
  const start = await Promise.all(
    replicas.map((r) => counter(r, 'kafka_warden_issuer_passes_total')),
  );
  await eventually(
    `${n} more issuer passes on each replica`,
    async () => {
      const now = await Promise.all(
        replicas.map((r) => counter(r, 'kafka_warden_issuer_passes_total')),
      );
      return now.every((value, i) => value >= (start[i] ?? 0) + n) ? true : undefined;
    },
    30_000,
  );
}

beforeAll(async () => {
  cp = await startControlPlane();
  await createNamespace(cp, PLATFORM);
  // Two replicas of the issuer, started before the CA exists.
  replicas.push(await startClusterServe(cp, ISSUER_ARGS));
  replicas.push(await startClusterServe(cp, ISSUER_ARGS));
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(replicas.map((r) => r.stop()));
  await cp?.stop();
}, 60_000);

test('without the CA Secret nothing is issued and serve keeps running', async () => {
  await createNamespace(cp, 'kw-no-ca');
  await createStatefulSet(kafkaStatefulSet('kw-no-ca', 'early-kafka'));
  await passes(2);
  expect(await list(cp, '/api/v1/namespaces/kw-no-ca/secrets')).toEqual([]);
  const noCa = await counter(replicas[0] as ClusterServe, 'kafka_warden_issuer_passes_total', {
    result: 'no-ca',
  });
  expect(noCa).toBeGreaterThan(0);
  // Reported once, not every pass.
  const warnings = (replicas[0] as ClusterServe)
    .logLines()
    .filter((l) => l.msg === 'no usable CA; nothing is issued until it is fixed');
  expect(warnings).toHaveLength(1);
  expect(String(warnings[0]?.problem)).toContain(`${PLATFORM}/${CA}`);
}, 60_000);

describe('with the CA', () => {
  let caFingerprint: string;
  let firstCa: CaPem;

  beforeAll(async () => {
    firstCa = await createCaSecret(cp, PLATFORM, CA);
    caFingerprint = fingerprint(certificatesFromPem(firstCa.certificate, 'ca')[0]!);
  }, 60_000);

  test('the StatefulSet that waited for the CA gets both Secrets with the six keys', async () => {
    const broker = await secretOf('kw-no-ca', 'early-kafka-broker-tls');
    const client = await secretOf('kw-no-ca', 'early-kafka-client-tls');
    for (const secret of [broker, client]) {
      expect(Object.keys(secret.data ?? {}).sort()).toEqual(SIX_KEYS);
      expect(secret.metadata.labels).toEqual(
        expect.objectContaining({
          'app.kubernetes.io/managed-by': 'kafka-warden',
          'kafka-warden.io/cluster': 'early-kafka',
        }),
      );
      expect(secret.metadata.annotations?.[A.ca]).toBe(caFingerprint);
    }
    expect(broker.metadata.annotations?.[A.kind]).toBe('broker');
    expect(client.metadata.annotations?.[A.kind]).toBe('client');
    const sans = broker.metadata.annotations?.[A.sans]?.split(',') ?? [];
    expect(sans).toEqual(
      expect.arrayContaining([
        'early-kafka-0.early-kafka-headless.kw-no-ca.svc.cluster.local',
        'early-kafka-2.early-kafka-headless.kw-no-ca',
        'early-kafka.kw-no-ca.svc',
      ]),
    );
    expect(sans.some((name) => name.startsWith('early-kafka-3.'))).toBe(false);
  }, 60_000);

  test('two replicas racing on a new StatefulSet converge on one keystore', async () => {
    await createNamespace(cp, 'kw-race');
    await createStatefulSet(kafkaStatefulSet('kw-race', 'race-kafka'));
    const first = await secretOf('kw-race', 'race-kafka-broker-tls');
    await secretOf('kw-race', 'race-kafka-client-tls');
    await passes(3);
    const later = await secretOf('kw-race', 'race-kafka-broker-tls');
    // Never replaced after the first create: same version, same content.
    expect(later.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(later.metadata.annotations?.[A.hash]).toBe(first.metadata.annotations?.[A.hash]);
    // Exactly one replica created each Secret (POST is create-if-absent); the other, if it raced,
    // read the winner back instead of replacing it.
    for (const secret of ['race-kafka-broker-tls', 'race-kafka-client-tls']) {
      expect(events('issued', 'kw-race', secret)).toHaveLength(1);
      expect(events('renewed', 'kw-race', secret)).toHaveLength(0);
    }
    const raced = [
      ...events(
        'created by another replica first; reading it back',
        'kw-race',
        'race-kafka-broker-tls',
      ),
      ...events(
        'created by another replica first; reading it back',
        'kw-race',
        'race-kafka-client-tls',
      ),
    ];
    console.log(`issuer race: ${raced.length} of 2 creates lost a race and adopted the winner`);
  }, 90_000);

  test('a scale-up renews the broker Secret once (names-missing), not the client Secret', async () => {
    const before = await secretOf('kw-race', 'race-kafka-broker-tls');
    const clientBefore = await secretOf('kw-race', 'race-kafka-client-tls');
    const scaled = await mergePatch(
      cp,
      '/apis/apps/v1/namespaces/kw-race/statefulsets/race-kafka',
      {
        spec: { replicas: 5 },
      },
    );
    expect(scaled.status).toBe(200);
    const after = await eventually(
      'the broker Secret to name broker 4',
      async () => {
        const secret = await get(cp, secretPath('kw-race', 'race-kafka-broker-tls'));
        return secret?.metadata.annotations?.[A.sans]?.includes('race-kafka-4.race-kafka-headless')
          ? secret
          : undefined;
      },
      30_000,
    );
    expect(after.metadata.annotations?.[A.hash]).not.toBe(before.metadata.annotations?.[A.hash]);
    await passes(2);
    const renewals = events('renewed', 'kw-race', 'race-kafka-broker-tls');
    expect(renewals).toHaveLength(1);
    expect(renewals[0]?.reason).toBe('names-missing');
    const clientAfter = await secretOf('kw-race', 'race-kafka-client-tls');
    expect(clientAfter.metadata.resourceVersion).toBe(clientBefore.metadata.resourceVersion);
  }, 90_000);

  test('only Kafka broker StatefulSets, detected by pod template, outside excluded namespaces', async () => {
    await createNamespace(cp, 'kw-others');
    await createNamespace(cp, 'kw-excluded');
    const zookeeper = structuredClone(
      stockObject('0.6.1', 'kafka-zk-only', 'StatefulSet', '-cp-zookeeper'),
    );
    zookeeper.metadata = { name: 'zk', namespace: 'kw-others' };
    await createStatefulSet(zookeeper);
    // Named like a broker, but no broker container: never detected by name.
    const impostor = structuredClone(zookeeper);
    impostor.metadata = { name: 'my-cp-cp-kafka', namespace: 'kw-others' };
    await createStatefulSet(impostor);
    await createStatefulSet(kafkaStatefulSet('kw-excluded', 'excluded-kafka'));
    await passes(2);
    expect(await list(cp, '/api/v1/namespaces/kw-others/secrets')).toEqual([]);
    expect(await list(cp, '/api/v1/namespaces/kw-excluded/secrets')).toEqual([]);
  }, 60_000);

  test("someone else's Secret under the broker name is left alone", async () => {
    await createNamespace(cp, 'kw-foreign');
    const foreign = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'foreign-kafka-broker-tls', namespace: 'kw-foreign' },
      stringData: { note: 'made by hand' },
    };
    expect(
      (await apiRequest(cp, 'POST', '/api/v1/namespaces/kw-foreign/secrets', foreign)).status,
    ).toBe(201);
    const before = await secretOf('kw-foreign', 'foreign-kafka-broker-tls');
    await createStatefulSet(kafkaStatefulSet('kw-foreign', 'foreign-kafka'));
    await secretOf('kw-foreign', 'foreign-kafka-client-tls');
    await passes(2);
    const after = await secretOf('kw-foreign', 'foreign-kafka-broker-tls');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(Object.keys(after.data ?? {})).toEqual(['note']);
    expect(
      events(
        'the Secret exists but was not made by kafka-warden; left alone',
        'kw-foreign',
        'foreign-kafka-broker-tls',
      ).length,
    ).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test('a new CA: not applied before the truststore trusts it; after that step, signed by it', async () => {
    const path = secretPath('kw-race', 'race-kafka-broker-tls');
    const before = await secretOf('kw-race', 'race-kafka-broker-tls');
    // Swapping the CA Secret in one step: the issuer refuses to sign with a CA the running brokers
    // do not trust yet (a restarted broker could not talk to the others).
    const next = await createCaSecret(cp, PLATFORM, CA, 'kafka-warden e2e CA 2');
    const nextFingerprint = fingerprint(certificatesFromPem(next.certificate, 'ca')[0]!);
    await passes(2);
    expect((await secretOf('kw-race', 'race-kafka-broker-tls')).metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
    expect(
      events(
        'the CA changed, but this truststore does not trust the new CA yet: not replaced ' +
          '(docs/tls.md, "Rotating the CA": step 1, trust it and roll, comes first)',
        'kw-race',
        'race-kafka-broker-tls',
      ).length,
    ).toBeGreaterThanOrEqual(1);

    // Step 1 by hand, as `kafka-warden certs rotate --ca-dir OLD --trust-ca NEW` does it: signed by
    // the old CA, trusting both. Then the issuer does step 2 on its own.
    const stepOne = await rotateMaterial({
      current: filesFromSecret(before, 'the Secret'),
      source: 'the Secret',
      ca: loadCa(firstCa, { certificate: 'ca.crt', key: 'ca.key' }, new Date()),
      alsoTrust: certificatesFromPem(next.certificate, 'next'),
    });
    const manifest = toSecret(stepOne, {
      name: 'race-kafka-broker-tls',
      namespace: 'kw-race',
      labels: before.metadata.labels ?? {},
    });
    const put = await apiRequest(cp, 'PUT', path, {
      ...manifest,
      metadata: { ...manifest.metadata, resourceVersion: before.metadata.resourceVersion },
    });
    expect(put.status).toBe(200);
    const renewed = await eventually(
      'the broker Secret signed by the new CA',
      async () => {
        const secret = await get(cp, path);
        return secret?.metadata.annotations?.[A.ca] === nextFingerprint ? secret : undefined;
      },
      30_000,
    );
    expect(renewed.metadata.annotations?.[A.trusted]?.split(',').sort()).toEqual(
      [caFingerprint, nextFingerprint].sort(),
    );
    // The names of the scale-up are kept.
    expect(renewed.metadata.annotations?.[A.sans]).toBe(before.metadata.annotations?.[A.sans]);
    await passes(2);
    const renewals = events('renewed', 'kw-race', 'race-kafka-broker-tls').filter(
      (l) => l.reason === 'ca-changed',
    );
    expect(renewals).toHaveLength(1);
    // The client Secret, whose step 1 was not done, still waits.
    const client = await secretOf('kw-race', 'race-kafka-client-tls');
    expect(client.metadata.annotations?.[A.ca]).toBe(caFingerprint);
  }, 90_000);

  test('no key, password or Secret data ever reaches the log', async () => {
    const secret = await secretOf('kw-race', 'race-kafka-broker-tls');
    const password = Buffer.from(secret.data?.['keystore-credentials'] ?? '', 'base64').toString();
    expect(password.length).toBeGreaterThan(10);
    for (const replica of replicas) {
      const logs = replica.logs();
      expect(logs).not.toContain(password);
      expect(logs).not.toContain(secret.data?.['kafka.keystore.p12']?.slice(0, 40));
      expect(logs).not.toMatch(/PRIVATE KEY/);
    }
  });
});

test('serve stops the issuer on SIGTERM within its shutdown budget', async () => {
  const replica = replicas.pop() as ClusterServe;
  const started = Date.now();
  await replica.stop(20_000);
  expect(await replica.exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(replica.logLines().some((l) => l.msg === 'secret issuer stopped')).toBe(true);
}, 30_000);
