/**
 * The TLS-only configuration (`tls.keepPlaintext: false`) with every component of the chart:
 * Schema Registry, Connect, REST Proxy, ksqlDB and Control Center then read the client keystore
 * from a Secret volume. Their Confluent 6.1 images run as appuser (uid 1000) and the chart gives
 * them no runAsUser or fsGroup, so a root-owned 0400 file (kafka-warden's mode before
 * src/core/secret-modes.ts) is unreadable to them. Under the node agent each runs as its image's
 * user and reads every file of its Secret volumes (programs.ts, the stand-in); this shows the
 * fix works where it matters, on disk, with the kubelet's ownership rules.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { list } from '../../support/node-agent/kube';
import { installRelease, type Release } from '../../support/node-agent/cp-release';
import { startAgentCluster, type AgentCluster } from '../../support/node-agent/cluster';
import { apiRequest, eventually } from '../../support/control-plane';
import { mergePatch } from '../../support/cluster-kube';

const NS = 'tls-only';
const COMPONENTS = [
  'cp-schema-registry',
  'cp-kafka-connect',
  'cp-kafka-rest',
  'cp-ksql-server',
  'cp-control-center',
];
let cluster: AgentCluster;
let release: Release;

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    containers: {
      name: string;
      image: string;
      volumeMounts?: { name: string; mountPath: string }[];
    }[];
    volumes?: { name: string; secret?: { defaultMode?: number } }[];
  };
  status?: {
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; restartCount: number }[];
  };
}

beforeAll(async () => {
  cluster = await startAgentCluster();
  release = await installRelease(cluster, {
    namespace: NS,
    warden: { tls: { keepPlaintext: false } },
    allComponents: true,
    set: [
      'cp-zookeeper.servers=1',
      // Their exporter sidecars would add five JVMs to a 2-core runner and show nothing here.
      ...COMPONENTS.map((c) => `${c}.prometheus.jmx.enabled=false`),
    ],
  });
}, 300_000);

afterAll(async () => {
  release?.cleanup();
  await cluster?.stop();
}, 120_000);

test('every component starts as appuser (1000) and reads its keystore and credentials', async () => {
  const pods = await eventually(
    'a Ready pod of every component',
    async () => {
      const all = await list<Pod>(cluster.cp, `/api/v1/namespaces/${NS}/pods`);
      const ready = COMPONENTS.map((app) =>
        all.find(
          (p) =>
            p.metadata.labels?.app === app &&
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        ),
      );
      return ready.every((p) => p !== undefined) ? ready : undefined;
    },
    240_000,
    1_000,
  );
  for (const pod of pods) {
    const main = pod.spec.containers.find((c) => c.image.startsWith('confluentinc/'));
    expect(main).toBeDefined();
    const name = main?.name ?? '';
    const started = cluster.agent.events.find(
      (e) => e.pod === `${NS}/${pod.metadata.name}` && e.container === name && e.what === 'started',
    );
    expect(started?.detail).toMatch(/^stand-in pid \d+ as 1000:1000$/);
    expect(pod.status?.containerStatuses?.find((c) => c.name === name)?.restartCount).toBe(0);
    // Ready comes with the start (no readiness probe, as the kubelet does); the stand-in's reads
    // follow within moments.
    const log = await eventually(
      `${pod.metadata.name}: the stand-in's reads done`,
      () => {
        const text = readFileSync(cluster.agent.logFile(NS, pod.metadata.name, name), 'utf8');
        return Promise.resolve(
          /stand-in for image .* ready|cannot read/.test(text) ? text : undefined,
        );
      },
      30_000,
    );
    // The client Secret's keystore, truststore and their credentials, each read as appuser.
    const read = [...log.matchAll(/^read (.+)$/gm)].map((m) => m[1] as string);
    expect(read.map((f) => path.basename(f)).sort()).toEqual(
      expect.arrayContaining([
        'kafka.keystore.p12',
        'kafka.truststore.p12',
        'keystore-credentials',
        'truststore-credentials',
      ]),
    );
    expect(log).toContain(`stand-in for image ${main?.image} ready`);
    // On disk as the kubelet writes it: root-owned, the mode kafka-warden chose (0444: no
    // fsGroup to widen, and a non-root reader).
    const secretVolume = pod.spec.volumes?.find(
      (v) => v.secret && main?.volumeMounts?.some((m) => m.name === v.name),
    );
    expect(secretVolume?.secret?.defaultMode).toBe(0o444);
    const stat = statSync(read[0] as string);
    expect([stat.uid, stat.gid, stat.mode & 0o777]).toEqual([0, 0, 0o444]);
  }
}, 300_000);

test('the same Deployment with the mode kafka-warden used before the fix (0400) crash-loops: the agent sees the defect', async () => {
  const deployment = 'my-cp-cp-schema-registry';
  const current = await eventually(
    'the Schema Registry Deployment',
    async () => {
      const res = await apiRequest<{ spec: { template: { spec: Pod['spec'] } } }>(
        cluster.cp,
        'GET',
        `/apis/apps/v1/namespaces/${NS}/deployments/${deployment}`,
      );
      return res.status === 200 ? res.body : undefined;
    },
    30_000,
  );
  const volumes = (current.spec.template.spec.volumes ?? []).map((v) =>
    v.secret ? { ...v, secret: { ...v.secret, defaultMode: 0o400 } } : v,
  );
  const patched = await mergePatch(
    cluster.cp,
    `/apis/apps/v1/namespaces/${NS}/deployments/${deployment}`,
    {
      spec: { template: { spec: { volumes } } },
    },
  );
  expect(patched.status).toBe(200);
  const crash = await eventually(
    'a new Schema Registry pod that cannot read its keystore',
    () =>
      Promise.resolve(
        cluster.agent.events.find(
          (e) =>
            e.pod.startsWith(`${NS}/${deployment}-`) &&
            e.what === 'exited' &&
            e.detail === 'code 1 signal null',
        ),
      ),
    120_000,
  );
  const log = readFileSync(
    cluster.agent.logFile(NS, crash.pod.split('/')[1] as string, 'cp-schema-registry-server'),
    'utf8',
  );
  expect(log).toMatch(/cannot read .*\/kafka\.keystore\.p12 as 1000:1000/);
}, 180_000);
