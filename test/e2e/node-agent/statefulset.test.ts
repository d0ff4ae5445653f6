/**
 * The node agent under the real StatefulSet controller, without a JVM: pods of a Confluent image
 * the agent runs as a stand-in (programs.ts) are bound, run as the image's user with their
 * volumes and env, reported Ready only once their readiness gate is True, published in DNS only
 * when Ready, rolled by the controller on a template change (SIGTERM, then a new pod), and
 * restarted after a crash.
 */
import { readFileSync } from 'node:fs';
import { apiRequest, eventually } from '../../support/control-plane';

/** `eventually` over a value the test process holds (the agent's events, its DNS table). */
const soon = <T>(what: string, fn: () => T | undefined, timeoutMs: number) =>
  eventually(what, () => Promise.resolve(fn()), timeoutMs);
import { createNamespace, mergePatch } from '../../support/cluster-kube';
import { startAgentCluster, type AgentCluster } from '../../support/node-agent/cluster';

const NS = 'agent-sts';
const GATE = 'kafka-warden.io/test-gate';
let cluster: AgentCluster;

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: {
    podIP?: string;
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      name: string;
      restartCount: number;
      ready: boolean;
      state: Record<string, unknown>;
    }[];
  };
}

const kube = <T = Record<string, unknown>>(method: string, url: string, body?: unknown) =>
  apiRequest<T>(cluster.cp, method, url, body);
const getPod = async (name: string) => {
  const res = await kube<Pod>('GET', `/api/v1/namespaces/${NS}/pods/${name}`);
  return res.status === 200 ? res.body : undefined;
};
const condition = (pod: Pod | undefined, type: string) =>
  pod?.status?.conditions?.find((c) => c.type === type)?.status;

function statefulSet(
  name: string,
  options: { fsGroup?: number; mode: number; annotation?: string },
) {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: {
      serviceName: name,
      replicas: 2,
      selector: { matchLabels: labels },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels, annotations: { revision: options.annotation ?? '1' } },
        spec: {
          terminationGracePeriodSeconds: 20,
          readinessGates: [{ conditionType: GATE }],
          securityContext: options.fsGroup === undefined ? {} : { fsGroup: options.fsGroup },
          containers: [
            {
              name: 'registry',
              image: 'confluentinc/cp-schema-registry:6.1.0',
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                {
                  name: 'PASSWORD',
                  valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } },
                },
                {
                  name: 'LEVEL',
                  valueFrom: { configMapKeyRef: { name: 'settings', key: 'level' } },
                },
                { name: 'GREETING', value: 'hello $(POD_NAME)' },
              ],
              volumeMounts: [{ name: 'secrets', mountPath: '/etc/schema-registry/secrets' }],
            },
          ],
          volumes: [
            { name: 'secrets', secret: { secretName: 'creds', defaultMode: options.mode } },
          ],
        },
      },
    },
  };
}

async function setGate(name: string, status: 'True' | 'False') {
  const res = await apiRequest(
    cluster.cp,
    'PATCH',
    `/api/v1/namespaces/${NS}/pods/${name}/status`,
    {
      status: {
        conditions: [{ type: GATE, status, lastTransitionTime: new Date().toISOString() }],
      },
    },
    'application/strategic-merge-patch+json',
  );
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  cluster = await startAgentCluster();
  await createNamespace(cluster.cp, NS);
  for (const body of [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds' },
      stringData: { password: 's3cret', 'keystore.p12': 'not really a keystore' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
      data: { level: 'debug' },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] },
    },
  ]) {
    const path =
      body.kind === 'Secret' ? 'secrets' : body.kind === 'ConfigMap' ? 'configmaps' : 'services';
    expect((await kube('POST', `/api/v1/namespaces/${NS}/${path}`, body)).status).toBe(201);
  }
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
}, 120_000);

test('a StatefulSet pod is bound, runs as its image user with its env and volumes, and is Ready only when its readiness gate is True', async () => {
  expect(
    (
      await kube(
        'POST',
        `/apis/apps/v1/namespaces/${NS}/statefulsets`,
        statefulSet('web', { fsGroup: 1000, mode: 0o400 }),
      )
    ).status,
  ).toBe(201);
  const started = await soon(
    'web-0 started',
    () => cluster.agent.events.find((e) => e.pod === `${NS}/web-0` && e.what === 'started'),
    60_000,
  );
  // confluentinc 6.x images run as appuser (1000); the pod's fsGroup is a supplementary group.
  expect(started.detail).toMatch(/stand-in pid \d+ as 1000:1000 groups 1000/);
  const pod = await eventually(
    'web-0 running with ContainersReady',
    async () => {
      const p = await getPod('web-0');
      return condition(p, 'ContainersReady') === 'True' ? p : undefined;
    },
    60_000,
  );
  expect(pod.spec.nodeName).toBe(cluster.agent.nodeName);
  // Reported as 10.B.x.y (EndpointSlices refuse loopback); the process has 127.B.x.y.
  expect(pod.status?.podIP).toMatch(/^10\.2[34]\d\.\d+\.\d+$/);
  const loopback = pod.status?.podIP?.replace(/^10\./, '127.');
  // The gate is not True: not Ready, not in DNS, and the controller does not create web-1.
  expect(condition(pod, 'Ready')).toBe('False');
  expect(cluster.agent.dns.resolve(`web-0.web.${NS}`)).toEqual([]);
  await new Promise((r) => setTimeout(r, 3_000));
  expect(await getPod('web-1')).toBeUndefined();

  // What the process really got: /proc/<pid>/environ.
  const child = cluster.agent.worker(NS, 'web-0')?.processes().registry;
  expect(child).toBeTruthy();
  const environ = Object.fromEntries(
    readFileSync(`/proc/${child?.pid}/environ`, 'utf8')
      .split('\0')
      .filter((e) => e.includes('='))
      .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
  expect(environ).toMatchObject({
    POD_NAME: 'web-0',
    POD_IP: loopback,
    PASSWORD: 's3cret',
    LEVEL: 'debug',
    GREETING: 'hello web-0',
  });
  // The Secret files: root-owned, 0400 widened to 0440 for the fsGroup, readable by appuser.
  // Ready comes with the start (no readiness probe); the stand-in's reads follow within moments.
  const log = await soon(
    "web-0: the stand-in's reads done",
    () => {
      const text = readFileSync(cluster.agent.logFile(NS, 'web-0', 'registry'), 'utf8');
      return /ready$|cannot read/m.test(text) ? text : undefined;
    },
    30_000,
  );
  expect(log).toMatch(/read .*\/keystore\.p12/);
  expect(log).toContain('stand-in for image confluentinc/cp-schema-registry:6.1.0 ready');

  await setGate('web-0', 'True');
  await eventually(
    'web-0 Ready',
    async () => (condition(await getPod('web-0'), 'Ready') === 'True' ? true : undefined),
    30_000,
  );
  await soon(
    'web-0 in DNS',
    () => (cluster.agent.dns.resolve(`web-0.web.${NS}`)[0] === loopback ? true : undefined),
    30_000,
  );
  // OrderedReady: only now web-1.
  await eventually(
    'web-1 ContainersReady',
    async () => (condition(await getPod('web-1'), 'ContainersReady') === 'True' ? true : undefined),
    60_000,
  );
  await setGate('web-1', 'True');
  await eventually(
    'StatefulSet 2 ready',
    async () => {
      const sts = await kube<{ status?: { readyReplicas?: number } }>(
        'GET',
        `/apis/apps/v1/namespaces/${NS}/statefulsets/web`,
      );
      return sts.body.status?.readyReplicas === 2 ? true : undefined;
    },
    60_000,
  );
}, 240_000);

test('a template change is rolled by the controller: the highest pod gets SIGTERM, is deleted, comes back with a new uid, and the roll waits for its gate', async () => {
  const before = await getPod('web-1');
  expect(before).toBeDefined();
  const patched = await mergePatch(cluster.cp, `/apis/apps/v1/namespaces/${NS}/statefulsets/web`, {
    spec: { template: { metadata: { annotations: { revision: '2' } } } },
  });
  expect(patched.status).toBe(200);
  const sigterm = await soon(
    'SIGTERM to web-1',
    () => cluster.agent.events.find((e) => e.uid === before?.metadata.uid && e.what === 'SIGTERM'),
    60_000,
  );
  expect(sigterm.detail).toBe('grace 20s');
  const stopped = await soon(
    'web-1 stopped',
    () =>
      cluster.agent.events.find(
        (e) =>
          e.uid === before?.metadata.uid &&
          (e.what === 'stopped' || e.what === 'killed after grace'),
      ),
    60_000,
  );
  // sh exits on SIGTERM at once: no SIGKILL was needed.
  expect(stopped.what).toBe('stopped');
  const recreated = await eventually(
    'web-1 recreated',
    async () => {
      const p = await getPod('web-1');
      return p &&
        p.metadata.uid !== before?.metadata.uid &&
        condition(p, 'ContainersReady') === 'True'
        ? p
        : undefined;
    },
    90_000,
  );
  expect(condition(recreated, 'Ready')).toBe('False');
  // The controller waits for web-1's gate before touching web-0.
  const web0 = await getPod('web-0');
  await new Promise((r) => setTimeout(r, 3_000));
  expect((await getPod('web-0'))?.metadata.uid).toBe(web0?.metadata.uid);
  expect((await getPod('web-0'))?.metadata.deletionTimestamp).toBeUndefined();
  await setGate('web-1', 'True');
  const web0Next = await eventually(
    'web-0 recreated',
    async () => {
      const p = await getPod('web-0');
      return p && p.metadata.uid !== web0?.metadata.uid ? p : undefined;
    },
    90_000,
  );
  expect(web0Next.metadata.uid).not.toBe(web0?.metadata.uid);
}, 300_000);

test('a crashed container is restarted with back-off and its restartCount reported', async () => {
  const child = await soon(
    'web-1 process',
    () => cluster.agent.worker(NS, 'web-1')?.processes().registry ?? undefined,
    30_000,
  );
  process.kill(-child.pid, 'SIGKILL');
  const pod = await eventually(
    'web-1 restarted',
    async () => {
      const p = await getPod('web-1');
      const status = p?.status?.containerStatuses?.[0];
      return status && status.restartCount === 1 && 'running' in status.state ? p : undefined;
    },
    60_000,
  );
  expect(pod.status?.containerStatuses?.[0]?.restartCount).toBe(1);
}, 120_000);

test('without fsGroup a 0400 Secret is unreadable to appuser: the container crash-loops (the defect the agent exists to show); DNS publishes it only through a publishNotReadyAddresses Service', async () => {
  for (const [name, publish] of [
    ['bare', false],
    ['bare-all', true],
  ] as const) {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: publish,
        selector: { app: 'bare' },
        ports: [{ port: 80 }],
      },
    };
    expect((await kube('POST', `/api/v1/namespaces/${NS}/services`, service)).status).toBe(201);
  }
  expect(
    (
      await kube('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, {
        ...statefulSet('bare', { mode: 0o400 }),
        spec: { ...statefulSet('bare', { mode: 0o400 }).spec, replicas: 1 },
      })
    ).status,
  ).toBe(201);
  await soon(
    'bare-0 exited',
    () =>
      cluster.agent.events.find(
        (e) => e.pod === `${NS}/bare-0` && e.what === 'exited' && e.detail === 'code 1 signal null',
      ),
    60_000,
  );
  const log = readFileSync(cluster.agent.logFile(NS, 'bare-0', 'registry'), 'utf8');
  expect(log).toMatch(/cannot read .*\/keystore\.p12 as 1000:1000/);
  await eventually(
    'bare-0 reported not ready, waiting in CrashLoopBackOff',
    async () => {
      const pod = await getPod('bare-0');
      const state = pod?.status?.containerStatuses?.[0]?.state as
        { waiting?: { reason?: string } } | undefined;
      return condition(pod, 'ContainersReady') === 'False' &&
        state?.waiting?.reason === 'CrashLoopBackOff'
        ? true
        : undefined;
    },
    30_000,
  );
  // The real EndpointSlice controller decides; the agent's DNS follows its slices.
  const address = await soon(
    'bare-all.agent-sts in DNS',
    () => cluster.agent.dns.resolve(`bare-all.${NS}`)[0],
    30_000,
  );
  expect(address).toMatch(/^127\./);
  expect(cluster.agent.dns.resolve(`bare-0.bare-all.${NS}`)).toEqual([]); // its subdomain is `bare`
  expect(cluster.agent.dns.resolve(`bare.${NS}`)).toEqual([]);
  expect(cluster.agent.dns.resolve(`bare-0.bare.${NS}`)).toEqual([]);
}, 120_000);
