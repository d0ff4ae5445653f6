/**
 * The Secret issuer of `kafka-warden serve --issue-secrets` (src/kube/issuer/) against a
 * real API server, two replicas at once: every assertion reads the Secrets back from the API server.
 * StatefulSets are created directly from the stock chart's render. The webhooks are registered for
 * one scenario only (the roll patch judged by the validating webhook); webhooks.test.ts covers them
 * with the issuer on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  apiRequest,
  eventually,
  startControlPlane,
  type ControlPlane,
} from '../../support/control-plane';
import {
  createCaSecret,
  createNamespace,
  deleteWebhooks,
  forceIntoRenewalWindow as forceRenewal,
  get,
  kafkaStatefulSet,
  list,
  mergePatch,
  registerWebhooks,
  stockObject,
  type KubeObj,
} from '../../support/cluster-kube';
import { counter, startClusterServe, type ClusterServe } from '../../support/cluster-serve';
import {
  certificatesFromPem,
  commonNameOf,
  filesFromSecret,
  fingerprint,
  loadCa,
  rotateMaterial,
  toSecret,
  type CaPem,
} from '../../../src/tls';
import { isSignedBy, organizationalUnitOf } from '../../../src/tls/certificates';
import { passwordsFromFiles } from '../../../src/tls/passwords';
import { decodeKeystore, decodeTruststore } from '../../../src/tls/pkcs12';
import { runHandshakes, runTool } from '../jvm/jvm';

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
  rollPending: 'kafka-warden.io/tls-roll-pending',
  subject: 'kafka-warden.io/tls-subject',
};
const REQUEST_LABEL = { 'kafka-warden.io/client-tls': 'true' };
const CLUSTER_ANNOTATION = 'kafka-warden.io/kafka-cluster';

interface StatefulSetState {
  generation: number;
  templateHash: string | undefined;
  updateRevision: string | undefined;
  managers: string[];
}

let cp: ControlPlane;
const replicas: ClusterServe[] = [];
/**
 * The clusters the platform names: every one a scenario expects Secrets for, and the ones whose
 * test shows that something else stops them (detection, the excluded namespace).
 */
const CLUSTERS = [
  'kw-no-ca/early-kafka',
  'kw-race/race-kafka',
  'kw-others/my-cp-cp-kafka',
  'kw-excluded/excluded-kafka',
  'kw-foreign/foreign-kafka',
  'kw-roll/roll-kafka',
  'kw-guarded/guarded-kafka',
];
const ISSUER_ARGS = [
  '--issue-secrets',
  '--ca-secret',
  `${PLATFORM}/${CA}`,
  '--issuer-clusters',
  CLUSTERS.join(','),
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

const stsPath = (ns: string, name: string) => `/apis/apps/v1/namespaces/${ns}/statefulsets/${name}`;

async function statefulSetState(ns: string, name: string): Promise<StatefulSetState> {
  const sts = (await get(cp, stsPath(ns, name))) as KubeObj & {
    metadata: { generation: number; managedFields?: { manager: string }[] };
    spec: { template: { metadata: { annotations?: Record<string, string> } } };
    status?: { updateRevision?: string };
  };
  return {
    generation: sts.metadata.generation,
    templateHash: sts.spec.template.metadata.annotations?.[A.hash],
    updateRevision: sts.status?.updateRevision,
    managers: (sts.metadata.managedFields ?? []).map((f) => f.manager),
  };
}

/** The StatefulSet controller has computed the revision of the current template. */
async function settledRevision(ns: string, name: string): Promise<StatefulSetState> {
  return eventually(
    `StatefulSet ${ns}/${name} to report its update revision`,
    async () => {
      const state = await statefulSetState(ns, name);
      return state.updateRevision ? state : undefined;
    },
    30_000,
  );
}

function forceIntoRenewalWindow(ns: string, cluster: string, ca: CaPem): Promise<string> {
  return forceRenewal(cp, ns, cluster, ca);
}

/** The six files of a Secret in a fresh directory (mode 0600), as a pod would mount them. */
function materialDir(secret: KubeObj, dirs: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-issued-'));
  dirs.push(dir);
  for (const [file, data] of Object.entries(filesFromSecret(secret, 'the Secret'))) {
    writeFileSync(path.join(dir, file), data, { mode: 0o600 });
  }
  return dir;
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

  test('a look-alike of a named cluster in another namespace gets no Secret, nor does a Kafka StatefulSet nobody named', async () => {
    await createNamespace(cp, 'kw-lookalike');
    // The stock broker pod template, under the name of the cluster named in kw-race.
    await createStatefulSet(kafkaStatefulSet('kw-lookalike', 'race-kafka'));
    await createStatefulSet(kafkaStatefulSet('kw-lookalike', 'stray-kafka'));
    await passes(2);
    expect(await list(cp, '/api/v1/namespaces/kw-lookalike/secrets')).toEqual([]);
    for (const name of ['race-kafka', 'stray-kafka']) {
      const refusals = replicas
        .flatMap((r) => r.logLines())
        .filter(
          (l) =>
            l.msg === 'no Secrets for this Kafka broker StatefulSet' &&
            l.namespace === 'kw-lookalike' &&
            l.statefulset === name,
        );
      // Once per replica, not once per pass.
      expect(refusals).toHaveLength(replicas.length);
      expect(refusals[0]?.reason).toBe('not-authorised');
    }
    // The named cluster's brokers hold their own principal, which names their namespace.
    const broker = await secretOf('kw-race', 'race-kafka-broker-tls');
    const files = filesFromSecret(broker, 'race-kafka-broker-tls');
    const { keystore } = passwordsFromFiles(files, 'race-kafka-broker-tls');
    const [leaf] = decodeKeystore(files['kafka.keystore.p12'] as Buffer, keystore, 'ks').chain;
    expect(commonNameOf(leaf!)).toBe('race-kafka.kw-race');
    expect(organizationalUnitOf(leaf!)).toBeNull();
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

  test('(a) a renewal rolls the brokers: template hash = new content hash, a new revision, once', async () => {
    await createNamespace(cp, 'kw-roll');
    await createStatefulSet(kafkaStatefulSet('kw-roll', 'roll-kafka'));
    const issued = await secretOf('kw-roll', 'roll-kafka-broker-tls');
    await passes(2);
    // First issuance: no broker ran on anything older, so no roll.
    const before = await settledRevision('kw-roll', 'roll-kafka');
    expect(before.templateHash).toBeUndefined();
    expect(before.generation).toBe(1);
    expect(issued.metadata.annotations?.[A.rollPending]).toBeUndefined();

    const handWritten = await forceIntoRenewalWindow('kw-roll', 'roll-kafka', firstCa);
    const rolled = await eventually(
      'the pod template to carry the renewed Secret’s hash and a new update revision',
      async () => {
        const secret = await get(cp, secretPath('kw-roll', 'roll-kafka-broker-tls'));
        const hash = secret?.metadata.annotations?.[A.hash];
        const state = await statefulSetState('kw-roll', 'roll-kafka');
        // Cleared after the patch: read before the StatefulSet, it may still be there.
        return hash &&
          hash !== handWritten &&
          secret?.metadata.annotations?.[A.rollPending] === undefined &&
          state.templateHash === hash &&
          state.updateRevision &&
          state.updateRevision !== before.updateRevision
          ? { secret, state }
          : undefined;
      },
      30_000,
    );
    expect(rolled.secret?.metadata.annotations?.[A.rollPending]).toBeUndefined();
    expect(rolled.state.generation).toBe(2);
    expect(rolled.state.managers).toContain('kafka-warden');
    const renewals = events('renewed', 'kw-roll', 'roll-kafka-broker-tls');
    expect(renewals.map((l) => l.reason)).toEqual(['expiring']);

    // Both replicas keep passing: nothing is patched again, no second revision.
    await passes(3);
    const after = await statefulSetState('kw-roll', 'roll-kafka');
    expect(after.generation).toBe(2);
    expect(after.updateRevision).toBe(rolled.state.updateRevision);
    const rolls = replicas
      .flatMap((r) => r.logLines())
      .filter(
        (l) =>
          l.msg === 'rolling the brokers onto the renewed Secret' && l.statefulset === 'roll-kafka',
      );
    expect(rolls).toHaveLength(1);
    expect(rolls[0]?.hash).toBe(rolled.state.templateHash);
  }, 120_000);

  test('(a) the validating webhook judges the roll patch: refused, retried with backoff, rolled once allowed', async () => {
    await createNamespace(cp, 'kw-guarded');
    const sts = kafkaStatefulSet('kw-guarded', 'guarded-kafka');
    (sts.spec as Record<string, unknown>).updateStrategy = { type: 'OnDelete' };
    // Created before the webhooks exist: the update-strategy rule would refuse OnDelete.
    await createStatefulSet(sts);
    await secretOf('kw-guarded', 'guarded-kafka-broker-tls');
    const judge = replicas[0] as ClusterServe;
    await registerWebhooks(cp, judge.port, judge.caPem);
    try {
      const before = await settledRevision('kw-guarded', 'guarded-kafka');
      await forceIntoRenewalWindow('kw-guarded', 'guarded-kafka', firstCa);
      const refusal =
        'the patch that rolls the brokers onto the renewed Secret was refused; retrying later';
      const refusalsOf = () =>
        replicas
          .flatMap((r) => r.logLines())
          .filter((l) => l.msg === refusal && l.statefulset === 'guarded-kafka');
      const refused = await eventually(
        'a refused roll patch in the log',
        () => Promise.resolve(refusalsOf()[0]),
        30_000,
      );
      const firstRefusal = Date.now();
      expect(String(refused.problem)).toMatch(/denied the request/);
      expect(String(refused.problem)).toMatch(/OnDelete/);
      // The mark stays on the renewed Secret; the template is unchanged.
      const marked = await secretOf('kw-guarded', 'guarded-kafka-broker-tls');
      expect(marked.metadata.annotations?.[A.rollPending]).toBe(
        marked.metadata.annotations?.[A.hash],
      );
      const passesBefore = await Promise.all(
        replicas.map((r) => counter(r, 'kafka_warden_issuer_passes_total')),
      );
      await passes(8);
      const passesAfter = await Promise.all(
        replicas.map((r) => counter(r, 'kafka_warden_issuer_passes_total')),
      );
      const passCount = passesAfter.reduce((sum, n, i) => sum + n - (passesBefore[i] ?? 0), 0);
      // Backoff from the 1 s interval, doubling: attempts at 0, 1, 3, 7, 15 s … per replica, not
      // one per pass (each replica passes every second, and on every watch event besides).
      const seconds = (Date.now() - firstRefusal) / 1000 + 1;
      // (+1 per replica: a pass may land just after a backoff ends, before this window opened.)
      const allowed = replicas.length * (Math.floor(Math.log2(seconds + 1)) + 2);
      const attempts = refusalsOf().length;
      console.log(
        `roll patch refused: ${attempts} attempts by ${replicas.length} replicas over ${seconds.toFixed(1)} s and ${passCount} passes`,
      );
      expect(attempts).toBeLessThanOrEqual(allowed);
      expect(attempts).toBeLessThan(passCount);
      expect((await statefulSetState('kw-guarded', 'guarded-kafka')).generation).toBe(
        before.generation,
      );

      // The reason goes: the StatefulSet is made RollingUpdate (allowed), a new generation, and
      // the issuer patches at once instead of waiting out its backoff.
      const fixed = await mergePatch(cp, stsPath('kw-guarded', 'guarded-kafka'), {
        spec: { updateStrategy: { type: 'RollingUpdate', onDelete: null } },
      });
      expect(fixed.status).toBe(200);
      const hash = marked.metadata.annotations?.[A.hash];
      const rolled = await eventually(
        'the roll patch, now allowed by the webhook',
        async () => {
          const state = await statefulSetState('kw-guarded', 'guarded-kafka');
          return state.templateHash === hash ? state : undefined;
        },
        30_000,
      );
      expect(rolled.generation).toBe(before.generation + 2);
      await eventually('the roll mark cleared', async () => {
        const secret = await get(cp, secretPath('kw-guarded', 'guarded-kafka-broker-tls'));
        return secret && secret.metadata.annotations?.[A.rollPending] === undefined
          ? true
          : undefined;
      });
    } finally {
      await deleteWebhooks(cp);
    }
  }, 120_000);

  test('(b) a labelled client Secret is filled with material the JVM accepts; an unlabelled one is left alone', async () => {
    const asked = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'alice-tls',
        namespace: 'kw-race',
        labels: { ...REQUEST_LABEL, team: 'a' },
        annotations: { [CLUSTER_ANNOTATION]: 'race-kafka', 'kafka-warden.io/client-name': 'alice' },
      },
      stringData: { 'client.properties': 'security.protocol=SSL\n' },
    };
    const unlabelled = {
      ...asked,
      metadata: {
        name: 'bob-tls',
        namespace: 'kw-race',
        annotations: { [CLUSTER_ANNOTATION]: 'race-kafka' },
      },
    };
    for (const secret of [asked, unlabelled]) {
      expect(
        (await apiRequest(cp, 'POST', '/api/v1/namespaces/kw-race/secrets', secret)).status,
      ).toBe(201);
    }
    // A server-side dry run of a request persists nothing, so nothing is ever issued for it.
    const dry = await apiRequest(cp, 'POST', '/api/v1/namespaces/kw-race/secrets?dryRun=All', {
      ...asked,
      metadata: { ...asked.metadata, name: 'dry-tls' },
    });
    expect(dry.status).toBe(201);

    const alice = await eventually(
      'the client Secret request filled',
      async () => {
        const secret = await get(cp, secretPath('kw-race', 'alice-tls'));
        return secret?.data?.['kafka.keystore.p12'] ? secret : undefined;
      },
      30_000,
    );
    expect(Object.keys(alice.data ?? {}).sort()).toEqual(['client.properties', ...SIX_KEYS].sort());
    expect(Buffer.from(alice.data?.['client.properties'] ?? '', 'base64').toString()).toBe(
      'security.protocol=SSL\n',
    );
    expect(alice.metadata.labels).toEqual({ ...REQUEST_LABEL, team: 'a' });
    expect(alice.metadata.annotations?.[A.subject]).toBe('CN=alice,OU=kw-race');
    expect(alice.metadata.annotations?.[A.kind]).toBe('client');
    expect(alice.metadata.annotations?.[A.ca]).toBe(caFingerprint);
    expect(
      Date.parse(alice.metadata.annotations?.['kafka-warden.io/tls-not-after'] ?? ''),
    ).toBeGreaterThan(Date.now());

    // node-forge: the key with its chain to the CA, the CA as the trusted entry.
    const files = filesFromSecret(alice, 'alice-tls');
    const passwords = passwordsFromFiles(files, 'alice-tls');
    const keystore = decodeKeystore(
      files['kafka.keystore.p12'] as Buffer,
      passwords.keystore,
      'ks',
    );
    const [leaf, issuer] = keystore.chain;
    expect(commonNameOf(leaf!)).toBe('alice');
    expect(organizationalUnitOf(leaf!)).toBe('kw-race');
    const caCert = certificatesFromPem(firstCa.certificate, 'ca')[0]!;
    expect(isSignedBy(leaf!, caCert)).toBe(true);
    expect(fingerprint(issuer!)).toBe(caFingerprint);
    expect(
      decodeTruststore(files['kafka.truststore.p12'] as Buffer, passwords.truststore, 'ts').map(
        (e) => fingerprint(e.certificate),
      ),
    ).toEqual([caFingerprint]);

    // The JVM: keytool lists the private key entry under the principal Kafka will see, and a JSSE
    // handshake with client authentication required succeeds against the cluster's broker Secret.
    const dirs: string[] = [];
    try {
      const clientDir = materialDir(alice, dirs);
      const brokerDir = materialDir(await secretOf('kw-race', 'race-kafka-broker-tls'), dirs);
      const list = runTool('keytool', [
        '-list',
        '-v',
        '-storetype',
        'PKCS12',
        '-keystore',
        path.join(clientDir, 'kafka.keystore.p12'),
        '-storepass:file',
        path.join(clientDir, 'keystore-credentials'),
      ]);
      expect(list.status).toBe(0);
      expect(list.stdout).toMatch(/Entry type: PrivateKeyEntry/);
      expect(list.stdout).toMatch(/Owner: CN=alice, OU=kw-race/);
      const results = runHandshakes([
        {
          id: 'alice-to-broker',
          protocol: 'TLSv1.3',
          serverDir: brokerDir,
          clientKeyDir: clientDir,
          clientTrustDir: clientDir,
          host: 'race-kafka-0.race-kafka-headless.kw-race.svc.cluster.local',
        },
      ]);
      expect(results.get('alice-to-broker')).toEqual({ ok: true, detail: '' });
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }

    // Left alone: the unlabelled one (never even listed), and the dry run never existed.
    await passes(2);
    const bob = await secretOf('kw-race', 'bob-tls');
    expect(Object.keys(bob.data ?? {})).toEqual(['client.properties']);
    expect(bob.metadata.annotations?.[A.hash]).toBeUndefined();
    expect(await get(cp, secretPath('kw-race', 'dry-tls'))).toBeUndefined();
    // Filled once, by one replica; the next passes found it current.
    expect(events('issued', 'kw-race', 'alice-tls')).toHaveLength(1);
    expect((await secretOf('kw-race', 'alice-tls')).metadata.resourceVersion).toBe(
      alice.metadata.resourceVersion,
    );
  }, 120_000);

  test('(b) a request from another namespace waits for the StatefulSet to consent', async () => {
    await createNamespace(cp, 'kw-team');
    const ask = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'app-tls',
        namespace: 'kw-team',
        labels: REQUEST_LABEL,
        annotations: { [CLUSTER_ANNOTATION]: 'kw-race/race-kafka' },
      },
    };
    expect((await apiRequest(cp, 'POST', '/api/v1/namespaces/kw-team/secrets', ask)).status).toBe(
      201,
    );
    await passes(2);
    expect((await secretOf('kw-team', 'app-tls')).data).toBeUndefined();
    const refusals = replicas
      .flatMap((r) => r.logLines())
      .filter((l) => l.namespace === 'kw-team' && String(l.msg).includes('must list it'));
    expect(refusals.length).toBeGreaterThanOrEqual(1);

    const consent = await mergePatch(cp, stsPath('kw-race', 'race-kafka'), {
      metadata: { annotations: { 'kafka-warden.io/client-tls-namespaces': 'kw-team' } },
    });
    expect(consent.status).toBe(200);
    const filled = await eventually(
      'the request from kw-team filled',
      async () => {
        const secret = await get(cp, secretPath('kw-team', 'app-tls'));
        return secret?.metadata.annotations?.[A.subject] ? secret : undefined;
      },
      30_000,
    );
    expect(filled.metadata.annotations?.[A.subject]).toBe('CN=app-tls,OU=kw-team');
    expect(Object.keys(filled.data ?? {}).sort()).toEqual(SIX_KEYS);
  }, 90_000);

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
