/**
 * Issue 6, "Must show", end to end with nothing simulated: Kafka 2.7.2 brokers started from the
 * post-renderer's output (tls-only), a real kube-apiserver holding the very broker StatefulSet
 * those brokers were started from, and `kafka-warden serve` from the built bundle with live checks
 * (`--kafka-tls-dir`), registered by URL. Every verdict is what the API server answers to a PATCH;
 * every premise (under-replicated partitions, replicas on broker 2) is read from Kafka itself.
 *
 * 1. mTLS produce/consume; topic `orders` (RF 3, min.insync.replicas 2).
 * 2. broker 1 stopped → under-replicated → a rolling change (pod-template annotation) is denied by
 *    rolling-restart → broker 1 back, every ISR full → the same change is allowed.
 * 3. `payments` with replicas on broker 2 → `kubectl scale --replicas=2` is denied by
 *    broker-scaling → `kafka-warden plan --brokers 2` (built CLI) → kafka-reassign-partitions
 *    --execute / --verify → the same scale is allowed.
 * 4. The webhook's own time for the live-checked /validate answers (serve's `admission` log), printed.
 *
 * The render: a 3→2 scale-down is only safe (and only allowed by config-sanity) when no internal
 * topic needs 3 brokers. cp-helm-charts sets offsets.topic.replication.factor to 3, so the test
 * renders the chart itself with that value at 2, as a user would (`helm template --set-string`).
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { loadConfigFile } from '../../../src/config/load-config';
import { GOLDEN_DIR } from '../../golden/cases';
import { chartPackage } from '../../support/cluster-helm';
import {
  createNamespace,
  deleteWebhooks,
  get,
  mergePatch,
  registerWebhooks,
  type KubeObj,
} from '../../support/cluster-kube';
import { counter, startClusterServe, type ClusterServe } from '../../support/cluster-serve';
import {
  apiRequest,
  eventually,
  startControlPlane,
  type ControlPlane,
} from '../../support/control-plane';
import { IsolatedHelm } from '../../support/helm';
import { sharedDir } from '../../support/paths';
import { CLI, type CliResult } from '../../support/run-cli';
import { startKafkaCluster, type KafkaCluster } from './harness/cluster';
import { consumeAll, produceNumbered, withAdmin } from './harness/client-ops';

jest.setTimeout(120_000);

const started = Date.now();
const NAMESPACE = 'kafka';
const config = loadConfigFile(path.join(GOLDEN_DIR, 'configs', 'tls-only.yaml'));
/** What `kubectl rollout restart` changes: the smallest pod-template change, one that rolls. */
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

interface StatefulSet extends KubeObj {
  spec: {
    replicas: number;
    serviceName: string;
    template: {
      metadata?: { annotations?: Record<string, string> };
      spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] };
    };
  };
}
interface Partition {
  topic: string;
  partition: number;
  replicas: number[];
  isr: number[];
}

let cluster: KafkaCluster | undefined;
let cp: ControlPlane | undefined;
let serve: ClusterServe | undefined;
let stsPath = '';

/** `helm template` of cp-helm-charts 0.6.1 with offsets.topic.replication.factor 2 (see the top). */
function renderWithOffsetsFactor2(): string {
  const helm = new IsolatedHelm(3);
  try {
    const run = helm.run([
      'template',
      'my-cp',
      chartPackage('0.6.1'),
      '--namespace',
      NAMESPACE,
      '-f',
      path.join(sharedDir(), 'cp-helm-charts', 'values', 'default.yaml'),
      '--set-string',
      'cp-kafka.configurationOverrides.offsets\\.topic\\.replication\\.factor=2',
    ]);
    if (run.status !== 0) throw new Error(`helm template failed:\n${run.stderr}`);
    return run.stdout;
  } finally {
    rmSync(helm.home, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  const renderText = renderWithOffsetsFactor2();
  // Independent and each several seconds: started together; whichever started is stopped in
  // afterAll even when the other failed.
  const [kafka, plane] = await Promise.allSettled([
    startKafkaCluster({
      version: '2.7.2',
      source: 'post-renderer',
      config,
      renderText,
      namespace: NAMESPACE,
    }),
    startControlPlane(),
  ]);
  if (kafka.status === 'fulfilled') cluster = kafka.value;
  if (plane.status === 'fulfilled') cp = plane.value;
  if (kafka.status === 'rejected') throw kafka.reason;
  if (plane.status === 'rejected') throw plane.reason;
  const k = requireCluster();
  const api = requireCp();

  const sts = structuredClone(k.pods.statefulSet) as unknown as StatefulSet;
  stsPath = `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets/${sts.metadata.name}`;
  // The probe finds the cluster as `{serviceName}.{namespace}:9093` (the default template): the
  // headless Service name, which the harness's pod network resolves to every broker, as cluster
  // DNS would. serve runs outside that network, so every name it dials is given with
  // --kafka-resolve: the bootstrap name (three addresses) and each broker's advertised host.
  const bootstrapName = `${k.pods.headlessService}.${NAMESPACE}`;
  const names = [bootstrapName, ...k.bootstrap().map((address) => address.split(':')[0] ?? '')];
  const resolve = names.flatMap((name) => {
    const addresses = k.network.resolve(name);
    if (addresses.length === 0) throw new Error(`${name} is not in the pod network`);
    return addresses.flatMap((address) => ['--kafka-resolve', `${name}=${address}`]);
  });
  expect(k.network.resolve(bootstrapName)).toHaveLength(3);

  serve = await startClusterServe(api, ['--kafka-tls-dir', k.material.client.dir, ...resolve]);
  await createNamespace(api, NAMESPACE);
  await registerWebhooks(api, serve.port, serve.caPem);
  // The API server picks webhook configurations up asynchronously: wait until a dry run of the
  // same StatefulSet made unsafe (Parallel) is refused by kafka-warden.
  const unsafe = structuredClone(sts);
  unsafe.metadata = { name: sts.metadata.name, namespace: NAMESPACE };
  (unsafe.spec as unknown as { podManagementPolicy: string }).podManagementPolicy = 'Parallel';
  await eventually(
    'the validating webhook to be active',
    async () => {
      const res = await apiRequest(
        api,
        'POST',
        `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets?dryRun=All`,
        unsafe,
      );
      return res.status === 403 ? true : undefined;
    },
    30_000,
  );
  // The post-renderer's StatefulSet, exactly: the one the running brokers were started from.
  sts.metadata = { ...sts.metadata, namespace: NAMESPACE };
  const created = await apiRequest(
    api,
    'POST',
    `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets`,
    sts,
  );
  expect(created.status).toBe(201);
  console.info(
    `set-up ${seconds(Date.now() - started)}: Kafka ${k.version}`,
    k.timings,
    `control plane ${seconds(api.timings.totalMs)}`,
  );
}, 240_000);

afterAll(async () => {
  // Whatever failed: webhooks first (the API server would keep calling a dead webhook), then
  // serve, the control plane, the brokers.
  if (cp) await deleteWebhooks(cp).catch(() => undefined);
  await serve?.stop().catch(() => undefined);
  await cp?.stop().catch(() => undefined);
  await cluster?.stop();
  console.info(`live-checks.test.ts took ${seconds(Date.now() - started)}`);
}, 90_000);

describe('live cluster checks: the running webhook judges against the running Kafka', () => {
  test('1. the brokers serve mTLS; offsets.topic.replication.factor 2 reached Kafka; orders (RF 3, min ISR 2); all in sync: a rolling change is allowed', async () => {
    const k = requireCluster();
    const sts = await get<StatefulSet>(requireCp(), stsPath);
    const broker = sts?.spec.template.spec.containers.find((c) => c.name === 'cp-kafka-broker');
    expect(broker?.env).toContainEqual({
      name: 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
      value: '2',
    });
    for (const b of k.brokers) expect(b.properties['offsets.topic.replication.factor']).toBe('2');

    const kafka = k.kafka();
    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        topics: [
          {
            topic: 'orders',
            numPartitions: 3,
            replicationFactor: 3,
            configEntries: [{ name: 'min.insync.replicas', value: '2' }],
          },
        ],
        waitForLeaders: true,
      }),
    );
    await produceNumbered(kafka, 'orders', 30);
    expect(await consumeAll(kafka, 'orders', 30)).toHaveLength(30);
    // The first consumer group made the offsets topic, at the factor the render set.
    const offsets = (await partitions(kafka)).filter((p) => p.topic === '__consumer_offsets');
    expect(offsets.length).toBeGreaterThan(0);
    for (const p of offsets) expect(p.replicas).toHaveLength(2);

    // The control: with every partition in sync a rolling change passes. It also opens serve's
    // Kafka connection now, so step 2 asks over a connection made while broker 1 was up, as a
    // long-running webhook does.
    const api = requireCp();
    const answered = await checks('partition-health', 'answered');
    const healthy = await mergePatch<StatefulSet>(api, stsPath, {
      spec: { template: { metadata: { annotations: { [RESTARTED_AT]: 'healthy' } } } },
    });
    expect(healthy.status).toBe(200);
    expect(healthy.body.spec.template.metadata?.annotations?.[RESTARTED_AT]).toBe('healthy');
    expect(await checks('partition-health', 'answered')).toBe(answered + 1);
  });

  test('2. broker 1 down: a rolling change is denied by rolling-restart; broker 1 back and in sync: allowed', async () => {
    const k = requireCluster();
    const api = requireCp();
    const kafka = k.kafka();
    const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: 'e2e' } } } } };

    await k.stopBroker(1);
    // Until broker 1 is out of every ISR it was in, and two reads half a second apart agree (each
    // broker learns the ISRs from the controller a little apart): ISRs shrink partition by
    // partition, and the counts asserted below must be the ones kafka-warden sees.
    let previousRead = '';
    const all = await eventually(
      'Kafka to drop broker 1 from every in-sync replica set',
      async () => {
        const state = await partitions(kafka);
        const read = JSON.stringify(state);
        const settled = read === previousRead;
        previousRead = read;
        const onBroker1 = state.filter((p) => p.replicas.includes(1));
        return settled && onBroker1.length > 0 && onBroker1.every((p) => !p.isr.includes(1))
          ? state
          : undefined;
      },
      60_000,
      500,
    );
    const underReplicated = all.filter((p) => p.isr.length < p.replicas.length);
    // Every orders partition has a replica on broker 1 (RF 3 on three brokers).
    expect(underReplicated.filter((p) => p.topic === 'orders')).toHaveLength(3);

    const answeredBefore = await checks('partition-health', 'answered');
    const denied = await mergePatch(api, stsPath, patch);
    const message = statusMessage(denied.body);
    expect(denied.status).toBe(403);
    expect(message).toContain(
      `kafka-warden denied UPDATE of StatefulSet ${NAMESPACE}/${k.pods.statefulSet.metadata?.name}`,
    );
    expect(message).toContain('[rolling-restart]');
    // The counts are Kafka's own: every under-replicated partition, out of every partition.
    expect(message).toContain(
      `The cluster reports ${underReplicated.length} of ${all.length} partition(s) at risk ` +
        `(${underReplicated.length} under-replicated)`,
    );
    // The partitions it names (the first maxPartitionsNamed, default 10) are under-replicated in
    // Kafka, with Kafka's ISR.
    const named = [...message.matchAll(/(\S+)-(\d+) \(ISR \[([\d,]*)\] of replicas \[([\d,]*)\]/g)];
    expect(named.length).toBe(Math.min(10, underReplicated.length));
    for (const [, topic, partition, isr, replicas] of named) {
      const inKafka = underReplicated.find(
        (p) => p.topic === topic && p.partition === Number(partition),
      );
      expect(inKafka).toBeDefined();
      expect(sorted(ids(isr))).toEqual(sorted(inKafka?.isr ?? []));
      expect(sorted(ids(replicas))).toEqual(sorted(inKafka?.replicas ?? []));
      expect(inKafka?.isr).not.toContain(1);
    }
    // Judged on the live answer, not on a failed check (which fails open by default).
    expect(await checks('partition-health', 'answered')).toBe(answeredBefore + 1);
    const unchanged = await get<StatefulSet>(api, stsPath);
    expect(unchanged?.spec.template.metadata?.annotations?.[RESTARTED_AT]).toBe('healthy');

    await k.startBroker(1);
    await eventually(
      'every ISR to be full again',
      async () => {
        const now = await partitions(kafka);
        return now.every((p) => p.isr.length === p.replicas.length) ? true : undefined;
      },
      60_000,
      500,
    );
    const allowed = await mergePatch<StatefulSet>(api, stsPath, patch);
    expect(allowed.status).toBe(200);
    expect(allowed.body.spec.template.metadata?.annotations?.[RESTARTED_AT]).toBe('e2e');
    expect(await checks('partition-health', 'answered')).toBe(answeredBefore + 2);
    const rolled = await get<StatefulSet>(api, stsPath);
    expect(rolled?.spec.template.metadata?.annotations?.[RESTARTED_AT]).toBe('e2e');
  });

  test('3. replicas on broker 2: scale 3→2 denied by broker-scaling; kafka-warden plan executed by kafka-reassign-partitions; allowed', async () => {
    const k = requireCluster();
    const api = requireCp();
    const kafka = k.kafka();
    const bootstrap = k.bootstrap().join(',');
    const tool = (args: string[]) =>
      k.runTool('kafka-reassign-partitions', [
        '--bootstrap-server',
        bootstrap,
        '--command-config',
        k.clientPropertiesFile,
        ...args,
      ]);

    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        topics: [
          {
            topic: 'payments',
            replicaAssignment: [
              { partition: 0, replicas: [2, 0] },
              { partition: 1, replicas: [1, 2] },
            ],
          },
        ],
        waitForLeaders: true,
      }),
    );
    await produceNumbered(kafka, 'payments', 20);

    const onBroker2 = (await partitions(kafka)).filter((p) => p.replicas.includes(2));
    const scale = (replicas: number) => mergePatch(api, `${stsPath}/scale`, { spec: { replicas } });
    const answeredBefore = await checks('replicas-on-brokers', 'answered');
    const denied = await scale(2);
    const message = statusMessage(denied.body);
    expect(denied.status).toBe(403);
    expect(message).toContain('(through its scale subresource)');
    expect(message).toContain('[broker-scaling]');
    expect(message).toContain(
      `The cluster reports ${onBroker2.length} replica(s) of ${onBroker2.length} partition(s)`,
    );
    const topicsNamed = /\(topics ([^)]*)\) still on brokers 2/.exec(message)?.[1]?.split(', ');
    expect(topicsNamed).toEqual([...new Set(onBroker2.map((p) => p.topic))].sort());
    expect(topicsNamed).toContain('payments');
    const named = [...message.matchAll(/(\S+)-(\d+) \(broker 2\)/g)].map(([, t, n]) => `${t}-${n}`);
    // The first maxPartitionsNamed (default 10) by name, the rest counted.
    expect(named.length).toBe(Math.min(10, onBroker2.length));
    for (const name of named)
      expect(onBroker2.map((p) => `${p.topic}-${p.partition}`)).toContain(name);
    expect(await checks('replicas-on-brokers', 'answered')).toBe(answeredBefore + 1);
    expect((await get<StatefulSet>(api, stsPath))?.spec.replicas).toBe(3);

    const resolve = k
      .bootstrap()
      .flatMap((address) => {
        const host = address.split(':')[0] ?? '';
        return k.network.resolve(host).map((ip) => ['--resolve', `${host}=${ip}`]);
      })
      .flat();
    const plan = () =>
      runBuiltCli([
        'plan',
        '--bootstrap-server',
        k.bootstrap()[0] ?? '',
        '--brokers',
        '2',
        '--tls-dir',
        k.material.client.dir,
        ...resolve,
      ]);

    // orders has replication factor 3: no placement on 2 brokers exists, and plan says so.
    const impossible = await plan();
    expect(impossible.status).toBe(1);
    expect(impossible.stdout).toBe('');
    expect(impossible.stderr).toContain('KW_PLAN_IMPOSSIBLE');
    expect(impossible.stderr).toContain('orders (replication factor 3)');
    // Its remedy, with Kafka's own tool: a reassignment with shorter replica lists (broker 2 out).
    const shrink = path.join(k.dir, 'orders-rf2.json');
    const orders = (await partitions(kafka)).filter((p) => p.topic === 'orders');
    writeFileSync(
      shrink,
      JSON.stringify({
        version: 1,
        partitions: orders.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          replicas: p.replicas.filter((id) => id !== 2),
        })),
      }),
    );
    await executeAndVerify(tool, shrink);

    const generated = await plan();
    expect(generated.stderr).not.toContain('KW_');
    expect(generated.status).toBe(0);
    const planned = JSON.parse(generated.stdout) as {
      version: number;
      partitions: { topic: string; partition: number; replicas: number[] }[];
    };
    const stillOn2 = (await partitions(kafka)).filter((p) => p.replicas.includes(2));
    expect(stillOn2.length).toBeGreaterThan(0);
    for (const p of stillOn2) {
      const move = planned.partitions.find(
        (m) => m.topic === p.topic && m.partition === p.partition,
      );
      expect(move?.replicas).toHaveLength(p.replicas.length);
      expect(move?.replicas).not.toContain(2);
    }
    for (const move of planned.partitions) expect(move.replicas.every((id) => id < 2)).toBe(true);
    const planFile = path.join(k.dir, 'plan.json');
    writeFileSync(planFile, generated.stdout);
    await executeAndVerify(tool, planFile);

    const after = await partitions(kafka);
    expect(after.filter((p) => p.replicas.includes(2))).toEqual([]);
    // The data moved with the replicas: every payments message is still there.
    const payments = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets('payments'));
    expect(payments.reduce((sum, p) => sum + Number(p.high), 0)).toBe(20);

    const allowed = await scale(2);
    expect(allowed.status).toBe(200);
    expect(await checks('replicas-on-brokers', 'answered')).toBe(answeredBefore + 2);
    expect((await get<StatefulSet>(api, stsPath))?.spec.replicas).toBe(2);
  });

  test('4. the time the webhook took for its live-checked /validate answers (serve log)', () => {
    const lines = requireServe()
      .logLines()
      .filter(
        (l) =>
          l.msg === 'admission' &&
          l.webhook === 'validate' &&
          l.namespace === NAMESPACE &&
          l.operation === 'UPDATE',
      );
    // Three rolling changes and two scales, each asking Kafka.
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(typeof line.ms).toBe('number');
    console.info(
      'live-checked /validate answers (serve log, ms):',
      lines.map((l) => `${String(l.kind)} ${String(l.result)} ${String(l.ms)}`).join('; '),
    );
  });
});

/**
 * The built CLI (bin/kafka-warden), as runCli runs it, but asynchronous and bounded: a command
 * that never exits fails the test instead of blocking Jest's event loop.
 */
function runBuiltCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kafka-warden ${args[0]} did not exit within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function executeAndVerify(
  tool: (args: string[]) => ReturnType<KafkaCluster['runTool']>,
  file: string,
): Promise<void> {
  const execute = await tool(['--reassignment-json-file', file, '--execute']);
  expect(execute.stderr).not.toMatch(/Exception/);
  expect(execute.status).toBe(0);
  expect(execute.stdout).toContain('Successfully started partition reassignment');
  await eventually(
    `kafka-reassign-partitions --verify to report ${path.basename(file)} complete`,
    async () => {
      const verify = await tool(['--reassignment-json-file', file, '--verify']);
      if (verify.status !== 0)
        throw new Error(`--verify failed:\n${verify.stdout}${verify.stderr}`);
      return /in progress/.test(verify.stdout) ? undefined : verify.stdout;
    },
    60_000,
    500,
  );
}

/** Every partition of every topic (internal ones included), from Kafka's metadata. */
async function partitions(kafka: Kafka): Promise<Partition[]> {
  const metadata = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata());
  return metadata.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionId,
      replicas: p.replicas,
      isr: p.isr,
    })),
  );
}

/** How many live checks serve has made for `question` with `outcome` (its histogram's count). */
function checks(question: string, outcome: string): Promise<number> {
  return counter(requireServe(), 'kafka_warden_cluster_check_duration_seconds_count', {
    question,
    outcome,
  });
}

function statusMessage(body: unknown): string {
  const message = (body as { message?: unknown }).message;
  return typeof message === 'string' ? message : JSON.stringify(body);
}

function ids(list: string | undefined): number[] {
  return (list ?? '').split(',').filter(Boolean).map(Number);
}

function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function requireCluster(): KafkaCluster {
  if (!cluster) throw new Error('the Kafka cluster did not start (see beforeAll)');
  return cluster;
}

function requireCp(): ControlPlane {
  if (!cp) throw new Error('the control plane did not start (see beforeAll)');
  return cp;
}

function requireServe(): ClusterServe {
  if (!serve) throw new Error('serve did not start (see beforeAll)');
  return serve;
}
