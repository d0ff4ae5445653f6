/**
 * The test control plane itself (test/support/control-plane.ts): a real kube-apiserver at the
 * pinned version, whose kube-controller-manager turns StatefulSets into Pods that stay Pending (no
 * scheduler, no kubelet). Plain JSON over the Node https module with the admin client certificate.
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  apiRequest,
  eventually,
  pinnedVersions,
  startControlPlane,
  type ControlPlane,
} from '../../support/control-plane';

interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
}
interface Pod {
  metadata: ObjectMeta;
  spec: { nodeName?: string; serviceAccountName?: string; volumes?: { name: string }[] };
  status?: { phase?: string };
}
interface List<T> {
  items: T[];
}

const NS = 'kw-cp-smoke';
let cp: ControlPlane;

beforeAll(async () => {
  cp = await startControlPlane();
  const t = cp.timings;
  console.log(
    `control plane ${cp.version} ready at ${cp.server} in ${(t.totalMs / 1000).toFixed(1)}s ` +
      `(certs ${t.certsMs} ms, etcd +${t.etcdMs - t.certsMs} ms, kube-apiserver +${t.apiServerMs - t.etcdMs} ms, ` +
      `kube-controller-manager +${t.controllerManagerMs - t.apiServerMs} ms)`,
  );
  const created = await apiRequest(cp, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS },
  });
  expect(created.status).toBe(201);
}, 180_000);

afterAll(async () => {
  const dir = cp?.dir;
  await cp?.stop();
  if (dir && process.env.KW_KEEP_CONTROL_PLANE !== '1') expect(existsSync(dir)).toBe(false);
}, 60_000);

function statefulSet(name: string, podManagementPolicy: 'OrderedReady' | 'Parallel') {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 2,
      serviceName: name,
      podManagementPolicy,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        // Never pulled: there is no kubelet.
        spec: { containers: [{ name: 'main', image: 'registry.invalid/never-pulled:1' }] },
      },
    },
  };
}

async function podsOf(app: string): Promise<Pod[]> {
  const res = await apiRequest<List<Pod>>(
    cp,
    'GET',
    `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(`app=${app}`)}`,
  );
  expect(res.status).toBe(200);
  return res.body.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

test('the API server reports the pinned Kubernetes version', async () => {
  const { kubernetes } = pinnedVersions();
  const res = await apiRequest<{ gitVersion: string; major: string; minor: string }>(
    cp,
    'GET',
    '/version',
  );
  expect(res.status).toBe(200);
  expect(res.body.gitVersion).toBe(kubernetes);
  expect(`v${res.body.major}.${res.body.minor}.`).toBe(kubernetes.replace(/\d+$/, ''));
  expect(cp.version).toBe(kubernetes);
});

test('the admin kubeconfig points at the loopback API server with embedded credentials', () => {
  const config = JSON.parse(readFileSync(cp.kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { server: string } }[];
    users: { user: Record<string, string> }[];
  };
  expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(config.clusters[0]?.cluster.server).toBe(cp.server);
  expect(Object.keys(config.users[0]?.user ?? {}).sort()).toEqual([
    'client-certificate-data',
    'client-key-data',
  ]);
});

test('OrderedReady: the controller creates <name>-0 only, which stays Pending (no kubelet)', async () => {
  const created = await apiRequest<{ metadata: ObjectMeta }>(
    cp,
    'POST',
    `/apis/apps/v1/namespaces/${NS}/statefulsets`,
    statefulSet('ordered', 'OrderedReady'),
  );
  expect(created.status).toBe(201);
  const first = await eventually('pod ordered-0', async () => {
    const pods = await podsOf('ordered');
    return pods.length > 0 ? pods : undefined;
  });
  // -1 waits for -0 to be Ready, which never happens without a kubelet: give the controller a few
  // more resyncs to prove it.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const pods = await podsOf('ordered');
  expect(first.map((pod) => pod.metadata.name)).toEqual(['ordered-0']);
  expect(pods.map((pod) => pod.metadata.name)).toEqual(['ordered-0']);
  const pod = pods[0]!;
  expect(pod.status?.phase).toBe('Pending');
  expect(pod.spec.nodeName).toBeUndefined();
  expect(pod.metadata.ownerReferences).toEqual([
    expect.objectContaining({
      kind: 'StatefulSet',
      name: 'ordered',
      uid: created.body.metadata.uid,
      controller: true,
    }),
  ]);
  // The ServiceAccount admission plugin ran, as on a real cluster.
  expect(pod.spec.serviceAccountName).toBe('default');
  expect(pod.spec.volumes?.map((volume) => volume.name)).toEqual([
    expect.stringMatching(/^kube-api-access-/),
  ]);
}, 90_000);

test('Parallel: the controller creates both pods at once', async () => {
  const created = await apiRequest(
    cp,
    'POST',
    `/apis/apps/v1/namespaces/${NS}/statefulsets`,
    statefulSet('parallel', 'Parallel'),
  );
  expect(created.status).toBe(201);
  const pods = await eventually('pods parallel-0 and parallel-1', async () => {
    const list = await podsOf('parallel');
    return list.length >= 2 ? list : undefined;
  });
  expect(pods.map((pod) => pod.metadata.name)).toEqual(['parallel-0', 'parallel-1']);
  expect(pods.every((pod) => pod.status?.phase === 'Pending')).toBe(true);
}, 90_000);

test('a dry run (?dryRun=All) answers with the object and creates nothing', async () => {
  const dry = await apiRequest<{ metadata: ObjectMeta }>(
    cp,
    'POST',
    `/apis/apps/v1/namespaces/${NS}/statefulsets?dryRun=All`,
    statefulSet('dry', 'Parallel'),
  );
  expect(dry.status).toBe(201);
  expect(dry.body.metadata.name).toBe('dry');
  const get = await apiRequest(cp, 'GET', `/apis/apps/v1/namespaces/${NS}/statefulsets/dry`);
  expect(get.status).toBe(404);
  // Nothing for the controller to act on either.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  expect(await podsOf('dry')).toEqual([]);
}, 30_000);
