/**
 * kafka-warden as a cluster runs it: `kafka-warden serve` (built bundle, self-signed serving CA,
 * Secret issuer on) behind a MutatingWebhookConfiguration and a ValidatingWebhookConfiguration
 * registered by URL, real Helm 3 and Helm 4 installing the stock cp-helm-charts, and the
 * kube-controller-manager's StatefulSet controller creating the broker Pods. Every assertion reads
 * objects back from the API server (or reads helm's own output). docs/cluster-e2e.md says what each
 * scenario proves.
 *
 * Scenarios run in file order and share one control plane: d (webhook down) stops serve, so it is last.
 */
import type { CaPem } from '../../../src/tls';
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
  forceIntoRenewalWindow,
  get,
  kafkaStatefulSet,
  list,
  mergePatch,
  MUTATING_OPT_OUT,
  registerWebhooks,
  stockObject,
  VALIDATING_OPT_OUT,
  type KubeObj,
} from '../../support/cluster-kube';
import {
  chartPackage,
  ClusterHelm,
  kafkaZkOnlyValues,
  pdbApiVersionPostRenderer,
} from '../../support/cluster-helm';
import { counter, startClusterServe, type ClusterServe } from '../../support/cluster-serve';

interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; secret?: { secretName: string } }[];
}
interface Pod extends KubeObj {
  spec: PodSpec & Record<string, unknown>;
}
interface StatefulSet extends KubeObj {
  spec: {
    replicas: number;
    podManagementPolicy?: string;
    updateStrategy?: { type: string };
    template: { metadata?: { annotations?: Record<string, string> }; spec: PodSpec };
  };
}

const PLATFORM = 'kafka-warden-system';
const CA = 'kafka-warden-ca';
const RELEASE = 'kafka';
const KAFKA_STS = `${RELEASE}-cp-kafka`;
const ZK_STS = `${RELEASE}-cp-zookeeper`;
const STATUS = 'kafka-warden.io/status';
const SIX_KEYS = [
  'kafka.keystore.p12',
  'kafka.truststore.p12',
  'key-credentials',
  'keystore-credentials',
  'ssl-passwords.properties',
  'truststore-credentials',
];
const DENIED = 'admission webhook "policy.kafka-warden.io" denied the request';

let cp: ControlPlane;
let serve: ClusterServe;
let caPem: CaPem;
const helm: Partial<Record<3 | 4, ClusterHelm>> = {};
const pdbFix = pdbApiVersionPostRenderer();
const started = Date.now();

const stsPath = (ns: string, name = KAFKA_STS) =>
  `/apis/apps/v1/namespaces/${ns}/statefulsets/${name}`;
const podPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/pods/${name}`;
const secretPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/secrets/${name}`;
const env = (c: Container | undefined, name: string) => c?.env?.find((e) => e.name === name)?.value;
const output = (run: { stdout: string; stderr: string }) => `${run.stdout}\n${run.stderr}`;

function h(major: 3 | 4): ClusterHelm {
  const found = helm[major];
  if (!found) throw new Error(`helm ${major} not set up`);
  return found;
}

/** The first broker Pod the StatefulSet controller created, read back from the API server. */
function brokerPod(ns: string, sts = KAFKA_STS): Promise<Pod> {
  return eventually(`Pod ${ns}/${sts}-0`, () => get<Pod>(cp, podPath(ns, `${sts}-0`)), 60_000);
}

/** The injection as a Pod carries it: SSL env, the TLS Secret volume, the exporter, the record. */
function expectInjectedPod(pod: Pod, sts = KAFKA_STS) {
  const broker = pod.spec.containers.find((c) => c.name === 'cp-kafka-broker');
  expect(pod.metadata.annotations?.[STATUS]).toBeDefined();
  expect(env(broker, 'KAFKA_SSL_KEYSTORE_FILENAME')).toBe('kafka.keystore.p12');
  expect(env(broker, 'KAFKA_SSL_KEYSTORE_TYPE')).toBe('PKCS12');
  expect(env(broker, 'KAFKA_SSL_CLIENT_AUTH')).toBe('required');
  expect(env(broker, 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP')).toContain('SSL:SSL');
  expect(JSON.stringify(broker?.env)).not.toMatch(/password=/i);
  expect(pod.spec.volumes?.map((volume) => volume.secret?.secretName)).toContain(
    `${sts}-broker-tls`,
  );
  expect(broker?.volumeMounts).toContainEqual(
    expect.objectContaining({ mountPath: '/etc/kafka/secrets' }),
  );
  const exporter = pod.spec.containers.find((c) => c.name === 'prometheus-jmx-exporter');
  expect(exporter?.ports).toContainEqual(
    expect.objectContaining({ name: 'metrics', containerPort: 5556 }),
  );
  expect(pod.metadata.annotations?.['prometheus.io/scrape']).toBe('true');
}

function expectUninjectedPod(pod: Pod) {
  const broker = pod.spec.containers.find((c) => c.name === 'cp-kafka-broker');
  expect(broker).toBeDefined();
  expect(pod.metadata.annotations?.[STATUS]).toBeUndefined();
  expect(env(broker, 'KAFKA_SSL_KEYSTORE_FILENAME')).toBeUndefined();
  expect(JSON.stringify(pod.spec.volumes ?? [])).not.toContain('broker-tls');
}

async function expectIssuedSecrets(ns: string, sts = KAFKA_STS) {
  for (const name of [`${sts}-broker-tls`, `${sts}-client-tls`]) {
    const secret = await eventually<KubeObj>(
      `Secret ${ns}/${name}`,
      () => get(cp, secretPath(ns, name)),
      30_000,
    );
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(SIX_KEYS);
    expect(secret.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('kafka-warden');
  }
}

/** Passes the issuer completed since now: at least `n` more. */
async function issuerPasses(n: number): Promise<void> {
  const start = await counter(serve, 'kafka_warden_issuer_passes_total');
  await eventually(
    `${n} more issuer passes`,
    async () =>
      (await counter(serve, 'kafka_warden_issuer_passes_total')) >= start + n ? true : undefined,
    30_000,
  );
}

beforeAll(async () => {
  cp = await startControlPlane();
  console.log(`control plane ready in ${(cp.timings.totalMs / 1000).toFixed(1)} s`);
  await createNamespace(cp, PLATFORM);
  caPem = await createCaSecret(cp, PLATFORM, CA);
  serve = await startClusterServe(cp, [
    '--issue-secrets',
    '--ca-secret',
    `${PLATFORM}/${CA}`,
    '--issuer-interval',
    '2',
  ]);
  await registerWebhooks(cp, serve.port, serve.caPem);
  // The API server picks webhook configurations up asynchronously: wait until a dry run of an
  // unsafe StatefulSet is refused by kafka-warden.
  await createNamespace(cp, 'kw-probe');
  const probe = kafkaStatefulSet('kw-probe', 'probe-kafka');
  (probe.spec as { podManagementPolicy: string }).podManagementPolicy = 'Parallel';
  await eventually(
    'the validating webhook to be active',
    async () => {
      const res = await apiRequest(
        cp,
        'POST',
        '/apis/apps/v1/namespaces/kw-probe/statefulsets?dryRun=All',
        probe,
      );
      return res.status === 403 ? true : undefined;
    },
    30_000,
  );
  helm[3] = new ClusterHelm(3, cp);
  helm[4] = new ClusterHelm(4, cp);
  await h(4).installPlugin();
  console.log(
    `beforeAll (control plane, serve, webhooks, helm plugin) took ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}, 240_000);

afterAll(async () => {
  // Whatever failed: webhooks first (an API server calling a dead webhook slows its own shutdown
  // paths), then serve, then the control plane; helm homes and the fix script last.
  if (cp) await deleteWebhooks(cp).catch(() => undefined);
  await serve?.stop().catch(() => undefined);
  await cp?.stop();
  helm[3]?.cleanup();
  helm[4]?.cleanup();
  pdbFix.cleanup();
  console.log(`cluster webhook tier took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 90_000);

describe('a. helm install with the post-renderer', () => {
  test.each([3, 4] as const)(
    'Helm %i: StatefulSets accepted, broker pods injected, ZooKeeper PDB policy/v1, Secrets issued',
    async (major) => {
      const ns = `kw-a-helm${major}`;
      await createNamespace(cp, ns);
      const install = await h(major).run([
        'install',
        RELEASE,
        chartPackage('0.6.1'),
        '-n',
        ns,
        '-f',
        kafkaZkOnlyValues(),
        ...h(major).wardenPostRenderer(),
      ]);
      expect(output(install)).toContain('STATUS: deployed');
      expect(install.status).toBe(0);

      const sts = await get<StatefulSet>(cp, stsPath(ns));
      expect(sts?.spec.template.metadata?.annotations?.[STATUS]).toBeDefined();
      expect(await get(cp, stsPath(ns, ZK_STS))).toBeDefined();
      expectInjectedPod(await brokerPod(ns));
      // The API server negotiated HTTP/2 (one multiplexed connection, no handshake per call).
      const calls = serve.logLines().filter((l) => l.msg === 'admission' && l.namespace === ns);
      expect(calls.length).toBeGreaterThan(0);
      expect(new Set(calls.map((l) => l.http))).toEqual(new Set(['2.0']));

      const zkPdb = await get(
        cp,
        `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${ZK_STS}-pdb`,
      );
      expect(zkPdb?.apiVersion).toBe('policy/v1');
      const pdbs = await list(cp, `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`);
      expect(pdbs.map((p) => p.metadata.name).sort()).toEqual([
        `${KAFKA_STS}-pdb`,
        `${ZK_STS}-pdb`,
      ]);
      const manifest = await h(major).run(['get', 'manifest', RELEASE, '-n', ns]);
      expect(manifest.stdout).not.toContain('policy/v1beta1');

      await expectIssuedSecrets(ns);
    },
    180_000,
  );
});

describe('b. the stock chart without the post-renderer', () => {
  const ns = 'kw-b-stock';

  test.each([3, 4] as const)(
    "Helm %i refuses the stock chart's policy/v1beta1 PodDisruptionBudget",
    async (major) => {
      await createNamespace(cp, `kw-b-refused${major}`);
      const install = await h(major).run([
        'install',
        RELEASE,
        chartPackage('0.6.1'),
        '-n',
        `kw-b-refused${major}`,
        '-f',
        kafkaZkOnlyValues(),
      ]);
      expect(install.status).not.toBe(0);
      expect(output(install)).toMatch(/PodDisruptionBudget/);
      expect(output(install)).toContain('policy/v1beta1');
      console.log(`helm ${major} without the post-renderer:\n${install.stderr.trim()}`);
      // Nothing was created.
      expect(await list(cp, `/apis/apps/v1/namespaces/kw-b-refused${major}/statefulsets`)).toEqual(
        [],
      );
    },
    120_000,
  );

  test('with only the apiVersion fixed, the mutating webhook alone injects the broker pods', async () => {
    await createNamespace(cp, ns);
    const install = await h(3).run([
      'install',
      RELEASE,
      chartPackage('0.6.1'),
      '-n',
      ns,
      '-f',
      kafkaZkOnlyValues(),
      '--post-renderer',
      pdbFix.path,
    ]);
    expect(output(install)).toContain('STATUS: deployed');
    // The StatefulSet is the stock one (no --mutate-statefulsets): the Pod is what got injected.
    const sts = await get<StatefulSet>(cp, stsPath(ns));
    expect(sts?.spec.template.metadata?.annotations?.[STATUS]).toBeUndefined();
    expectInjectedPod(await brokerPod(ns));
    // One call per pod: the answer gives the containers it adds the pod's token mount, so the
    // ServiceAccount admission the API server runs again after the webhook has nothing to add, and
    // the API server does not call the webhook a second time (reinvocationPolicy: IfNeeded).
    const podCalls: Record<string, number> = {};
    for (const line of serve.logLines()) {
      if (line.msg !== 'admission' || line.namespace !== ns || line.kind !== 'Pod') continue;
      podCalls[String(line.name)] = (podCalls[String(line.name)] ?? 0) + 1;
    }
    expect(podCalls).toEqual({ [`${KAFKA_STS}-0`]: 1, [`${ZK_STS}-0`]: 1 });
    expect(
      (await get(cp, `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${ZK_STS}-pdb`))
        ?.apiVersion,
    ).toBe('policy/v1');
    await expectIssuedSecrets(ns);
  }, 120_000);
});

describe('c. helm upgrade: unsafe changes refused by the validating webhook, safe ones accepted', () => {
  const ns = 'kw-b-stock'; // installed in b, without kafka-warden's post-renderer
  const upgrade = (major: 3 | 4, namespace: string, version: '0.5.0' | '0.6.1', extra: string[]) =>
    h(major).run([
      'upgrade',
      RELEASE,
      chartPackage(version),
      '-n',
      namespace,
      '-f',
      kafkaZkOnlyValues(),
      ...extra,
    ]);

  test('brokers 3 → 5 without a plan: denied by broker-scaling, with and without the post-renderer', async () => {
    const stock = await upgrade(3, ns, '0.6.1', [
      '--set',
      'cp-kafka.brokers=5',
      '--post-renderer',
      pdbFix.path,
    ]);
    expect(stock.status).not.toBe(0);
    expect(output(stock)).toContain(DENIED);
    expect(output(stock)).toContain(`kafka-warden denied UPDATE of StatefulSet ${ns}/${KAFKA_STS}`);
    expect(output(stock)).toContain('[broker-scaling]');
    console.log(`helm 3 upgrade, brokers 3 → 5:\n${stock.stderr.trim().slice(0, 600)}`);
    const rendered = await upgrade(3, 'kw-a-helm3', '0.6.1', [
      '--set',
      'cp-kafka.brokers=5',
      ...h(3).wardenPostRenderer(),
    ]);
    expect(output(rendered)).toContain('[broker-scaling]');
    const helm4 = await upgrade(4, 'kw-a-helm4', '0.6.1', [
      '--set',
      'cp-kafka.brokers=5',
      ...h(4).wardenPostRenderer(),
    ]);
    expect(helm4.status).not.toBe(0);
    expect(output(helm4)).toContain('[broker-scaling]');
    for (const namespace of [ns, 'kw-a-helm3', 'kw-a-helm4']) {
      expect((await get<StatefulSet>(cp, stsPath(namespace)))?.spec.replicas).toBe(3);
    }
  }, 180_000);

  test('kubectl scale (statefulsets/scale) 3 → 2 and 3 → 1: denied by broker-scaling; the StatefulSet keeps 3', async () => {
    for (const replicas of [2, 1]) {
      // What `kubectl scale statefulset --replicas=N` sends: a merge patch of the Scale subresource.
      const res = await mergePatch(cp, `${stsPath(ns)}/scale`, { spec: { replicas } });
      expect(res.status).toBe(403);
      const message = JSON.stringify(res.body);
      expect(message).toContain(
        `kafka-warden denied UPDATE of StatefulSet ${ns}/${KAFKA_STS} (through its scale subresource)`,
      );
      expect(message).toContain('[broker-scaling]');
      expect(message).toContain(`from 3 to ${replicas}`);
    }
    expect((await get<StatefulSet>(cp, stsPath(ns)))?.spec.replicas).toBe(3);
    // A dry run is judged the same way and changes nothing.
    const dryRun = await mergePatch(cp, `${stsPath(ns)}/scale?dryRun=All`, {
      spec: { replicas: 2 },
    });
    expect(dryRun.status).toBe(403);
  }, 60_000);

  test('updateStrategy OnDelete: denied by update-strategy', async () => {
    const run = await upgrade(3, ns, '0.6.1', [
      '--set',
      'cp-kafka.updateStrategy=OnDelete',
      '--post-renderer',
      pdbFix.path,
    ]);
    expect(run.status).not.toBe(0);
    expect(output(run)).toContain(DENIED);
    expect(output(run)).toContain('[update-strategy]');
    expect((await get<StatefulSet>(cp, stsPath(ns)))?.spec.updateStrategy?.type).toBe(
      'RollingUpdate',
    );
  }, 120_000);

  test('scale-up acknowledged on the live StatefulSet: accepted, and the issuer adds the new brokers’ names', async () => {
    // How a Helm user acknowledges: annotate the live StatefulSet (kubectl annotate), then upgrade.
    // The chart has no StatefulSet annotations; Helm 3's three-way merge and Helm 4's server-side
    // apply both keep an annotation the chart does not own.
    const ack = await mergePatch(cp, stsPath(ns), {
      metadata: {
        annotations: { 'kafka-warden.io/scale-up-acknowledged': 'new brokers for new topics only' },
      },
    });
    expect(ack.status).toBe(200);
    const run = await upgrade(3, ns, '0.6.1', [
      '--set',
      'cp-kafka.brokers=5',
      '--post-renderer',
      pdbFix.path,
    ]);
    expect(output(run)).toContain('STATUS: deployed');
    const sts = await get<StatefulSet>(cp, stsPath(ns));
    expect(sts?.spec.replicas).toBe(5);
    expect(sts?.metadata.annotations?.['kafka-warden.io/scale-up-acknowledged']).toBeDefined();
    await eventually(
      'the broker Secret to name broker 4',
      async () => {
        const secret = await get(cp, secretPath(ns, `${KAFKA_STS}-broker-tls`));
        return secret?.metadata.annotations?.['kafka-warden.io/tls-subject-alt-names']?.includes(
          `${KAFKA_STS}-4.${KAFKA_STS}-headless.${ns}.svc.cluster.local`,
        )
          ? true
          : undefined;
      },
      30_000,
    );
  }, 120_000);

  describe('cp-helm-charts 0.5.0 → 0.6.1 (Kafka 2.5 → 2.7)', () => {
    const upgradeNs = 'kw-c-upgrade';
    const pins = (version: string) => [
      '--set-string',
      `cp-kafka.customEnv.KAFKA_INTER_BROKER_PROTOCOL_VERSION=${version}`,
      '--set-string',
      `cp-kafka.customEnv.KAFKA_LOG_MESSAGE_FORMAT_VERSION=${version}`,
    ];
    const brokerImage = async () =>
      (await get<StatefulSet>(cp, stsPath(upgradeNs)))?.spec.template.spec.containers.find(
        (c) => c.name === 'cp-kafka-broker',
      )?.image;

    beforeAll(async () => {
      await createNamespace(cp, upgradeNs);
      const install = await h(3).run([
        'install',
        RELEASE,
        chartPackage('0.5.0'),
        '-n',
        upgradeNs,
        '-f',
        kafkaZkOnlyValues(),
        '--post-renderer',
        pdbFix.path,
      ]);
      expect(output(install)).toContain('STATUS: deployed');
    }, 120_000);

    test('without the protocol pinned: denied by kafka-version', async () => {
      const run = await upgrade(3, upgradeNs, '0.6.1', ['--post-renderer', pdbFix.path]);
      expect(run.status).not.toBe(0);
      expect(output(run)).toContain(DENIED);
      expect(output(run)).toContain('[kafka-version]');
      expect(await brokerImage()).toBe('confluentinc/cp-enterprise-kafka:5.5.0');
    }, 120_000);

    test('the two-step upgrade is accepted: new image with the pins at 2.5, then the pins at 2.7', async () => {
      const step1 = await upgrade(3, upgradeNs, '0.6.1', [
        ...pins('2.5'),
        '--post-renderer',
        pdbFix.path,
      ]);
      expect(output(step1)).toContain('STATUS: deployed');
      expect(await brokerImage()).toBe('confluentinc/cp-enterprise-kafka:6.1.0');
      const step2 = await upgrade(3, upgradeNs, '0.6.1', [
        ...pins('2.7'),
        '--post-renderer',
        pdbFix.path,
      ]);
      expect(output(step2)).toContain('STATUS: deployed');
      const broker = (
        await get<StatefulSet>(cp, stsPath(upgradeNs))
      )?.spec.template.spec.containers.find((c) => c.name === 'cp-kafka-broker');
      expect(env(broker, 'KAFKA_INTER_BROKER_PROTOCOL_VERSION')).toBe('2.7');
    }, 180_000);
  });

  test('Parallel through delete-orphan-and-recreate: the recreate is denied by ordered-ready', async () => {
    const orphanNs = 'kw-c-orphan';
    await createNamespace(cp, orphanNs);
    const sts = kafkaStatefulSet(orphanNs, 'orphan-kafka');
    expect(
      (await apiRequest(cp, 'POST', `/apis/apps/v1/namespaces/${orphanNs}/statefulsets`, sts))
        .status,
    ).toBe(201);
    await brokerPod(orphanNs, 'orphan-kafka');
    const path = stsPath(orphanNs, 'orphan-kafka');

    const unannotated = await apiRequest<{ message: string }>(
      cp,
      'DELETE',
      `${path}?propagationPolicy=Orphan`,
    );
    expect(unannotated.status).toBe(403);
    expect(unannotated.body.message).toContain('[delete-protection]');

    const reason = await mergePatch(cp, path, {
      metadata: {
        annotations: { 'kafka-warden.io/deletion-reason': 'recreate for podManagementPolicy' },
      },
    });
    expect(reason.status).toBe(200);
    const orphaned = await apiRequest(cp, 'DELETE', `${path}?propagationPolicy=Orphan`);
    expect(orphaned.status).toBe(200);
    await eventually('the StatefulSet to be gone', async () =>
      (await get(cp, path)) ? undefined : true,
    );
    // The broker pod outlives its StatefulSet.
    expect(await get(cp, podPath(orphanNs, 'orphan-kafka-0'))).toBeDefined();

    const parallel = structuredClone(sts);
    (parallel.spec as { podManagementPolicy: string }).podManagementPolicy = 'Parallel';
    const denied = await apiRequest<{ message: string }>(
      cp,
      'POST',
      `/apis/apps/v1/namespaces/${orphanNs}/statefulsets`,
      parallel,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('kafka-warden denied CREATE of StatefulSet');
    expect(denied.body.message).toContain('[ordered-ready]');
    expect(await get(cp, path)).toBeUndefined();

    // The safe variant: recreate with OrderedReady (adopting the orphaned pods).
    expect(
      (await apiRequest(cp, 'POST', `/apis/apps/v1/namespaces/${orphanNs}/statefulsets`, sts))
        .status,
    ).toBe(201);
  }, 120_000);

  test('brokers deleted with a reason and created again with fewer: the CREATE is denied by broker-scaling', async () => {
    const shrinkNs = 'kw-c-recreate';
    await createNamespace(cp, shrinkNs);
    const sts = kafkaStatefulSet(shrinkNs, 'shrunk-kafka', 3);
    const collection = `/apis/apps/v1/namespaces/${shrinkNs}/statefulsets`;
    expect((await apiRequest(cp, 'POST', collection, sts)).status).toBe(201);
    // Without a kubelet no pod gets Ready, so OrderedReady stops at broker 0: the claims of brokers
    // 1 and 2 are made here, as three running brokers would have left them.
    for (const ordinal of [1, 2]) {
      const claim = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: `datadir-0-shrunk-kafka-${ordinal}` },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      };
      const created = await apiRequest(
        cp,
        'POST',
        `/api/v1/namespaces/${shrinkNs}/persistentvolumeclaims`,
        claim,
      );
      expect(created.status).toBe(201);
    }
    const path = stsPath(shrinkNs, 'shrunk-kafka');
    const reason = await mergePatch(cp, path, {
      metadata: {
        annotations: { 'kafka-warden.io/deletion-reason': 'recreate for a new selector' },
      },
    });
    expect(reason.status).toBe(200);
    expect((await apiRequest(cp, 'DELETE', `${path}?propagationPolicy=Orphan`)).status).toBe(200);
    await eventually('the StatefulSet to be gone', async () =>
      (await get(cp, path)) ? undefined : true,
    );

    const smaller = structuredClone(sts);
    (smaller.spec as { replicas: number }).replicas = 1;
    const denied = await apiRequest<{ message: string }>(cp, 'POST', collection, smaller);
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('kafka-warden denied CREATE of StatefulSet');
    expect(denied.body.message).toContain('[broker-scaling]');
    expect(denied.body.message).toContain('a scale-down 3 → 1');
    expect(await get(cp, path)).toBeUndefined();

    // As many brokers as it had: admitted.
    expect((await apiRequest(cp, 'POST', collection, sts)).status).toBe(201);
  }, 120_000);
});

describe('e. a server-side dry run has no side effects', () => {
  test('POST ?dryRun=All of a Kafka StatefulSet in a new namespace: no StatefulSet, Pod or Secret appears', async () => {
    const ns = 'kw-e-dry-run';
    await createNamespace(cp, ns);
    const dry = await apiRequest(
      cp,
      'POST',
      `/apis/apps/v1/namespaces/${ns}/statefulsets?dryRun=All`,
      kafkaStatefulSet(ns, 'dry-kafka'),
    );
    expect(dry.status).toBe(201);
    // The validating webhook saw it as a dry run.
    const sawDryRun = () =>
      serve
        .logLines()
        .some((l) => l.msg === 'admission' && l.namespace === ns && l.dryRun === true);
    await eventually('the dry-run admission in the log', () =>
      Promise.resolve(sawDryRun() ? true : undefined),
    );
    // Give the issuer time to act (its watch fires within a second; two full passes besides).
    await issuerPasses(2);
    expect(await list(cp, `/apis/apps/v1/namespaces/${ns}/statefulsets`)).toEqual([]);
    expect(await list(cp, `/api/v1/namespaces/${ns}/pods`)).toEqual([]);
    const secrets = await list(cp, `/api/v1/namespaces/${ns}/secrets`);
    expect(
      secrets.filter((s) => s.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kafka-warden'),
    ).toEqual([]);
    expect(secrets.map((s) => s.metadata.name)).toEqual([]);
  }, 90_000);
});

describe('f. a renewal rolls the brokers, and helm upgrade keeps the roll', () => {
  const HASH = 'kafka-warden.io/tls-content-hash';
  const PENDING = 'kafka-warden.io/tls-roll-pending';
  const templateState = async (ns: string) => {
    const sts = (await get<StatefulSet>(cp, stsPath(ns))) as StatefulSet & {
      metadata: { generation: number };
    };
    return {
      generation: sts.metadata.generation,
      hash: sts.spec.template.metadata?.annotations?.[HASH],
      broker: sts.spec.template.spec.containers.find((c) => c.name === 'cp-kafka-broker'),
    };
  };

  test.each([3, 4] as const)(
    'Helm %i: the issuer patches the template hash after a renewal; a later helm upgrade with the post-renderer keeps it',
    async (major) => {
      const ns = `kw-a-helm${major}`; // installed in a, with the post-renderer (tls.contentHash null)
      const name = `${KAFKA_STS}-broker-tls`;
      expect((await templateState(ns)).hash).toBeUndefined();
      const handWritten = await forceIntoRenewalWindow(cp, ns, KAFKA_STS, caPem);
      const rolled = await eventually(
        'the renewal and the roll patch (through the validating webhook)',
        async () => {
          const secret = await get(cp, secretPath(ns, name));
          const hash = secret?.metadata.annotations?.[HASH];
          const state = await templateState(ns);
          return hash &&
            hash !== handWritten &&
            secret?.metadata.annotations?.[PENDING] === undefined &&
            state.hash === hash
            ? state
            : undefined;
        },
        30_000,
      );

      // An ordinary upgrade that changes the broker template: Helm 3's three-way merge and Helm 4's
      // apply leave an annotation the chart never rendered alone, so no roll back to an old value.
      const upgraded = await h(major).run([
        'upgrade',
        RELEASE,
        chartPackage('0.6.1'),
        '-n',
        ns,
        '-f',
        kafkaZkOnlyValues(),
        '--set-string',
        'cp-kafka.customEnv.KW_E2E_ROLL=after-renewal',
        ...h(major).wardenPostRenderer(),
      ]);
      expect(output(upgraded)).toContain('STATUS: deployed');
      const after = await templateState(ns);
      expect(env(after.broker, 'KW_E2E_ROLL')).toBe('after-renewal');
      expect(after.hash).toBe(rolled.hash);
      expect(after.generation).toBe(rolled.generation + 1);
      // And the issuer has nothing more to do: no patch, no renewal.
      await issuerPasses(2);
      expect((await templateState(ns)).generation).toBe(after.generation);
      const rolls = serve
        .logLines()
        .filter(
          (l) => l.msg === 'rolling the brokers onto the renewed Secret' && l.namespace === ns,
        );
      expect(rolls).toHaveLength(1);
    },
    180_000,
  );
});

describe('d. the webhook is down', () => {
  const ns = 'kw-b-stock';
  const optOut = 'kw-d-opted-out';

  beforeAll(async () => {
    await createNamespace(cp, optOut, {
      [MUTATING_OPT_OUT.key]: MUTATING_OPT_OUT.value,
      [VALIDATING_OPT_OUT.key]: VALIDATING_OPT_OUT.value,
    });
    expect(
      (
        await apiRequest(
          cp,
          'POST',
          `/apis/apps/v1/namespaces/${optOut}/statefulsets`,
          kafkaStatefulSet(optOut, 'free-kafka'),
        )
      ).status,
    ).toBe(201);
    await serve.kill();
  }, 60_000);

  test('pod creation in a Kafka namespace still works: mutation fails open, the pod is not injected', async () => {
    const template = stockObject('0.6.1', 'kafka-zk-only', 'StatefulSet', '-cp-kafka').spec as {
      template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    };
    const spec = structuredClone(template.template.spec);
    // A bare Pod: no volume claims behind it.
    const broker = spec.containers.find((c) => c.name === 'cp-kafka-broker') as Container;
    broker.volumeMounts = [];
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bare-broker', namespace: ns, labels: template.template.metadata.labels },
      spec,
    };
    const t0 = Date.now();
    const created = await apiRequest<Pod>(cp, 'POST', `/api/v1/namespaces/${ns}/pods`, pod);
    expect(created.status).toBe(201);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expectUninjectedPod((await get<Pod>(cp, podPath(ns, 'bare-broker'))) as Pod);
  }, 60_000);

  test('Kafka StatefulSet changes are refused: validation fails closed', async () => {
    const patch = await mergePatch<{ message: string }>(cp, stsPath(ns), {
      metadata: { annotations: { 'kw-e2e/touched': 'yes' } },
    });
    expect(patch.status).toBeGreaterThanOrEqual(500);
    expect(patch.body.message).toContain('failed calling webhook "policy.kafka-warden.io"');
    const upgrade = await h(3).run([
      'upgrade',
      RELEASE,
      chartPackage('0.6.1'),
      '-n',
      ns,
      '-f',
      kafkaZkOnlyValues(),
      '--set-string',
      'cp-kafka.customEnv.KW_E2E=touched',
      '--post-renderer',
      pdbFix.path,
    ]);
    expect(upgrade.status).not.toBe(0);
    expect(output(upgrade)).toContain('failed calling webhook "policy.kafka-warden.io"');
    expect((await get(cp, stsPath(ns)))?.metadata.annotations?.['kw-e2e/touched']).toBeUndefined();
  }, 120_000);

  test('namespaces outside the selectors are unaffected', async () => {
    const path = stsPath(optOut, 'free-kafka');
    const patch = await mergePatch(cp, path, { spec: { replicas: 5 } });
    expect(patch.status).toBe(200);
    const pod = await brokerPod(optOut, 'free-kafka');
    expectUninjectedPod(pod);
    const deleted = await apiRequest(cp, 'DELETE', path);
    expect(deleted.status).toBe(200);
  }, 60_000);
});
