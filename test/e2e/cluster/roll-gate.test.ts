/**
 * The roll gate's controller against a real API server (docs/design.md, "The roll gate"): two
 * `serve --roll-gate` replicas, one Lease holder, the condition written to pods/status, an
 * operator's override left alone, takeover when the leader is killed, and a node drain's eviction
 * refused by the brokers' PodDisruptionBudget while a broker is not in sync.
 *
 * No kubelet runs here, so this test plays its part: it writes ContainersReady and Ready (Ready =
 * ContainersReady AND every readiness gate True, as the kubelet computes it). No Kafka runs either:
 * the bootstrap address resolves to a closed loopback port, so the controller's answer for a broker
 * not yet judged is False/KafkaUnreachable (the Kafka tier reads real brokers: test/e2e/kafka).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  apiRequest,
  eventually,
  startControlPlane,
  type ControlPlane,
} from '../../support/control-plane';
import { runCli } from '../../support/run-cli';
import { startServe, type ServeProcess } from '../../support/serve-process';

const NS = 'kw-gate';
const LEASE_NS = 'kw-system';
const TYPE = 'kafka-warden.io/broker-in-sync';
const STS = 'gate-kafka';
const SVC = `${STS}-headless`;

let cp: ControlPlane;
let work: string;
const serves: ServeProcess[] = [];

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface PodBody {
  status?: { conditions?: Condition[] };
}

const api = <T = Record<string, unknown>>(
  method: string,
  p: string,
  body?: unknown,
  type?: string,
) => apiRequest<T>(cp, method, p, body, type);

async function condition(pod: string, type = TYPE): Promise<Condition | undefined> {
  const got = await api<PodBody>('GET', `/api/v1/namespaces/${NS}/pods/${pod}`);
  return got.body.status?.conditions?.find((c) => c.type === type);
}

/** What the kubelet would write: containers ready or not, and Ready from the gate as it stands. */
async function playKubelet(pod: string, containersReady: boolean, extra: Condition[] = []) {
  const gate = extra.find((c) => c.type === TYPE) ?? (await condition(pod));
  const ready = containersReady && gate?.status === 'True';
  const status = (s: boolean) => (s ? 'True' : 'False');
  const res = await api(
    'PATCH',
    `/api/v1/namespaces/${NS}/pods/${pod}/status`,
    {
      status: {
        phase: 'Running',
        conditions: [
          { type: 'ContainersReady', status: status(containersReady) },
          { type: 'Ready', status: status(ready) },
          ...extra,
        ],
      },
    },
    'application/strategic-merge-patch+json',
  );
  expect(res.status).toBe(200);
}

const identityOf = (serve: ServeProcess) =>
  /"identity":"([^"]+)"[^\n]*roll gate started/.exec(serve.logs())?.[1];

async function leaseHolder(): Promise<string | undefined> {
  const lease = await api<{ spec?: { holderIdentity?: string } }>(
    'GET',
    `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NS}/leases/gate`,
  );
  return lease.status === 200 ? lease.body.spec?.holderIdentity || undefined : undefined;
}

beforeAll(async () => {
  cp = await startControlPlane();
  work = mkdtempSync(path.join(tmpdir(), 'kw-gate-'));
  const ca = path.join(work, 'ca');
  const client = path.join(work, 'client');
  expect(runCli(['certs', 'init-ca', '--out-dir', ca, '--bits', '2048']).status).toBe(0);
  expect(
    runCli([
      'certs',
      'issue',
      '--ca-dir',
      ca,
      '--kind',
      'client',
      '--name',
      'kw',
      '--out-dir',
      client,
    ]).status,
  ).toBe(0);
  for (const ns of [NS, LEASE_NS]) {
    await api('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  }
  // The chart's headless Service, as the webhook door leaves it: without publishNotReadyAddresses.
  await api('POST', `/api/v1/namespaces/${NS}/services`, {
    metadata: { name: SVC },
    spec: { clusterIP: 'None', selector: { app: 'gate' }, ports: [{ name: 'broker', port: 9092 }] },
  });
  await api('POST', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, {
    metadata: { name: `${STS}-pdb` },
    spec: { selector: { matchLabels: { app: 'gate' } }, maxUnavailable: 1 },
  });
  // Parallel so that all three pods exist without a kubelet making any Ready.
  const created = await api('POST', `/apis/apps/v1/namespaces/${NS}/statefulsets`, {
    metadata: { name: STS },
    spec: {
      replicas: 3,
      serviceName: SVC,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: 'gate' } },
      template: {
        metadata: { labels: { app: 'gate', 'kafka-warden.io/roll-gate': 'broker-in-sync' } },
        spec: {
          readinessGates: [{ conditionType: TYPE }],
          containers: [{ name: 'cp-kafka-broker', image: 'confluentinc/cp-kafka:7.9.0' }],
        },
      },
    },
  });
  expect(created.status).toBe(201);
  const args = [
    '--kubeconfig',
    cp.kubeconfigPath,
    '--roll-gate',
    '--roll-gate-lease',
    `${LEASE_NS}/gate`,
    '--roll-gate-namespaces',
    NS,
    '--roll-gate-interval',
    '1',
    '--roll-gate-lease-seconds',
    '4',
    '--kafka-tls-dir',
    client,
    '--kafka-resolve',
    `${SVC}.${NS}=127.0.0.1`,
    '--kafka-bootstrap-template',
    '{serviceName}.{namespace}:1',
  ];
  serves.push(await startServe(args, 30_000, false), await startServe(args, 30_000, false));
}, 180_000);

afterAll(async () => {
  for (const s of serves) s.child.kill('SIGKILL');
  await cp?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('one of the two replicas holds the Lease', async () => {
  const holder = await eventually('a Lease holder', leaseHolder, 30_000);
  const identities = serves.map(identityOf);
  expect(identities).toContain(holder);
  expect(identities.filter((i) => i === holder)).toHaveLength(1);
}, 60_000);

test('a broker whose cluster cannot be read gets False/KafkaUnreachable on pods/status; the governing Service publishes not-ready addresses', async () => {
  await eventually('pod 0', async () =>
    (await api('GET', `/api/v1/namespaces/${NS}/pods/${STS}-0`)).status === 200 ? true : undefined,
  );
  expect(
    await eventually(
      'False/ContainersNotReady',
      async () => {
        const c = await condition(`${STS}-0`);
        return c?.reason === 'ContainersNotReady' ? c : undefined;
      },
      30_000,
    ),
  ).toMatchObject({ status: 'False' });
  await playKubelet(`${STS}-0`, true);
  const written = await eventually(
    'False/KafkaUnreachable',
    async () => {
      const c = await condition(`${STS}-0`);
      return c?.reason === 'KafkaUnreachable' ? c : undefined;
    },
    30_000,
  );
  expect(written).toMatchObject({ status: 'False' });
  expect(written.message).toContain('broker 0');
  const svc = await api<{ spec: { publishNotReadyAddresses?: boolean } }>(
    'GET',
    `/api/v1/namespaces/${NS}/services/${SVC}`,
  );
  expect(svc.body.spec.publishNotReadyAddresses).toBe(true);
}, 90_000);

test("an operator's override through pods/status is left alone", async () => {
  const override = {
    type: TYPE,
    status: 'True',
    reason: 'OperatorOverride',
    message: 'checked by hand',
  };
  await playKubelet(`${STS}-1`, true, [override]);
  await new Promise((r) => setTimeout(r, 4_000));
  expect(await condition(`${STS}-1`)).toMatchObject({ status: 'True', reason: 'OperatorOverride' });
}, 30_000);

test('the PodDisruptionBudget refuses an eviction while a broker is not in sync, and allows it once it is', async () => {
  // Broker 0: gate False (the controller's), so not Ready. Brokers 1 (override) and 2: Ready.
  await playKubelet(`${STS}-2`, true, [{ type: TYPE, status: 'True', reason: 'OperatorOverride' }]);
  const evict = (pod: string) =>
    api('POST', `/api/v1/namespaces/${NS}/pods/${pod}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: pod, namespace: NS },
    });
  const pdb = () =>
    api<{ status?: { currentHealthy?: number; disruptionsAllowed?: number } }>(
      'GET',
      `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${STS}-pdb`,
    );
  await eventually('the budget counts 2 healthy', async () =>
    (await pdb()).body.status?.currentHealthy === 2 ? true : undefined,
  );
  const refused = await evict(`${STS}-2`);
  expect(refused.status).toBe(429);
  expect(JSON.stringify(refused.body)).toMatch(/disruption budget/i);
  // Broker 0 caught up (here by the operator's override; the controller's True counts the same).
  await playKubelet(`${STS}-0`, true, [{ type: TYPE, status: 'True', reason: 'OperatorOverride' }]);
  await eventually('the budget allows one', async () =>
    (await pdb()).body.status?.disruptionsAllowed === 1 ? true : undefined,
  );
  expect((await evict(`${STS}-2`)).status).toBe(201);
}, 90_000);

test('the other replica takes the Lease over when the leader is killed, and writes', async () => {
  const holder = await eventually('a Lease holder', leaseHolder, 30_000);
  const leader = serves.find((s) => identityOf(s) === holder) as ServeProcess;
  const other = serves.find((s) => s !== leader) as ServeProcess;
  leader.child.kill('SIGKILL');
  await leader.exited;
  const next = await eventually(
    'a new holder',
    async () => {
      const h = await leaseHolder();
      return h && h !== holder ? h : undefined;
    },
    30_000,
  );
  expect(next).toBe(identityOf(other));
  // The StatefulSet controller re-created broker 2 after the eviction: the new leader judges it.
  await eventually('pod 2 again', async () =>
    (await api('GET', `/api/v1/namespaces/${NS}/pods/${STS}-2`)).status === 200 ? true : undefined,
  );
  await playKubelet(`${STS}-2`, true);
  await eventually(
    'False/KafkaUnreachable on the new pod',
    async () => {
      const c = await condition(`${STS}-2`);
      return c?.reason === 'KafkaUnreachable' ? c : undefined;
    },
    30_000,
  );
  expect(other.logs()).toMatch(/lease taken over/);
}, 90_000);
