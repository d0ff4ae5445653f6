/**
 * Pod CREATE latency through a real API server (test/support/control-plane.ts), without and with
 * kafka-warden's webhook configurations registered exactly as the chart installs them (`helm
 * template` of charts/kafka-warden, pointed by URL at serve from the built bundle): 100 concurrent
 * creators, a bounded number of Pods each, over keep-alive HTTPS with the admin certificate. Three
 * kinds of Pods: ordinary ones (a Deployment's web pods and a Job's pods, which kafka-warden must
 * never see), cp-kafka broker Pods of the stock chart, and post-rendered ones. The same
 * configurations pointed at a bare server that answers `allowed: true` and nothing else
 * (bench/bare-echo-server.mjs, HTTP/2) give the floor: what any webhook costs here. Built and run by
 * bench/pod-create-latency.mjs.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import path from 'node:path';
import { load } from 'js-yaml';
import { startControlPlane, type ControlPlane } from '../test/support/control-plane';
import { createNamespace, deleteWebhooks, WEBHOOK_NAME } from '../test/support/cluster-kube';
import { helmBinary } from '../test/support/helm';
import { apiRequest } from '../test/support/control-plane';
import { startClusterServe } from '../test/support/cluster-serve';
import { sharedDir } from '../test/support/paths';
import { writeSelfSigned } from '../test/support/serving-files';
import { resolveConfig } from '../src/core/config';
import { renderManifests } from '../src/postrender/render';

const CREATORS = 100;
const PODS_PER_CREATOR = Number(process.env.BENCH_PODS_PER_CREATOR ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const NAMESPACE = 'bench-pods';

interface Stats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
}

/**
 * A broker Pod from the stock chart's template, or (`injected`) from the template kafka-warden's
 * post-renderer produced, so the two "injected" conditions store objects of the injected size.
 * Like every broker pod in a cluster, it names the StatefulSet my-cp-cp-kafka as its owner (the
 * webhook names the cluster after it, and answers the pods of one StatefulSet from its cache).
 * The owner is a real StatefulSet (the garbage collector deletes pods whose owner is gone) with no
 * replicas and a selector these pods do not match, so its controller neither adopts nor deletes
 * them; the reference is not a controller reference.
 */
function brokerPod(name: string, owner: OwnerReference, injected = false): unknown {
  const stock = readFileSync(
    path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
    'utf8',
  );
  const text = injected ? renderManifests(stock, resolveConfig()) : stock;
  const sts = text
    .split(/^---$/m)
    .map(
      (doc) =>
        load(doc) as {
          kind?: string;
          metadata?: { name?: string };
          spec?: { template: { metadata: object; spec: { volumes?: object[] } } };
        } | null,
    )
    .find((o) => o?.kind === 'StatefulSet' && o.metadata?.name === 'my-cp-cp-kafka');
  if (!sts?.spec) throw new Error('broker StatefulSet not found in the render');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...sts.spec.template.metadata, name, ownerReferences: [owner] },
    // The StatefulSet gives the pod its data volume from a claim template; a bare Pod needs one.
    spec: {
      ...sts.spec.template.spec,
      volumes: [...(sts.spec.template.spec.volumes ?? []), { name: 'datadir-0', emptyDir: {} }],
    },
  };
}

function createPod(
  cp: ControlPlane,
  agent: Agent,
  body: string,
): Promise<{ ms: number; status: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      `${cp.server}/api/v1/namespaces/${NAMESPACE}/pods`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            status: res.statusCode ?? 0,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** The owner of the bench's pods (see brokerPod): not a Kafka workload, so no rule judges it. */
async function createOwner(cp: ControlPlane): Promise<OwnerReference> {
  const labels = { app: 'pod-create-bench-owner' };
  const res = await apiRequest(cp, 'POST', `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets`, {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'my-cp-cp-kafka' },
    spec: {
      replicas: 0,
      serviceName: 'my-cp-cp-kafka-headless',
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'idle', image: 'registry.k8s.io/pause:3.10' }] },
      },
    },
  });
  if (res.status !== 201) throw new Error(`creating the owner StatefulSet: HTTP ${res.status}`);
  const uid = (res.body as { metadata: { uid: string } }).metadata.uid;
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'my-cp-cp-kafka', uid };
}

/** The owners of the ordinary pods: a Deployment's ReplicaSet and a Job (see createOwner). */
async function createOrdinaryOwners(
  cp: ControlPlane,
): Promise<{ replicaSet: OwnerReference; job: OwnerReference }> {
  // Selectors these pods do not match, no replicas, a suspended Job: neither controller adopts,
  // creates or deletes pods; the garbage collector sees live owners.
  const idle = { metadata: { labels: { app: 'pod-create-bench-owner' } } };
  const container = { name: 'idle', image: 'registry.k8s.io/pause:3.10' };
  const replicaSet = await apiRequest(
    cp,
    'POST',
    `/apis/apps/v1/namespaces/${NAMESPACE}/replicasets`,
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-7d9f8c6b5' },
      spec: {
        replicas: 0,
        selector: { matchLabels: idle.metadata.labels },
        template: { ...idle, spec: { containers: [container] } },
      },
    },
  );
  const job = await apiRequest(cp, 'POST', `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'report-29123456' },
    spec: {
      suspend: true,
      manualSelector: true,
      selector: { matchLabels: idle.metadata.labels },
      template: { ...idle, spec: { restartPolicy: 'Never', containers: [container] } },
    },
  });
  if (replicaSet.status !== 201 || job.status !== 201)
    throw new Error(`creating the owners: HTTP ${replicaSet.status}, ${job.status}`);
  const ref = (apiVersion: string, kind: string, res: typeof job): OwnerReference => {
    const { name, uid } = (res.body as { metadata: { name: string; uid: string } }).metadata;
    return { apiVersion, kind, name, uid };
  };
  return { replicaSet: ref('apps/v1', 'ReplicaSet', replicaSet), job: ref('batch/v1', 'Job', job) };
}

/** A Deployment's web pod, as its ReplicaSet creates it (name "NAME"). */
function webPod(owner: OwnerReference): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'NAME',
      labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5' },
      ownerReferences: [owner],
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          ports: [{ containerPort: 80, name: 'http' }],
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        },
      ],
    },
  };
}

/** A Job's pod, as the Job controller creates it (name "NAME"). */
function jobPod(owner: OwnerReference): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'NAME',
      labels: {
        'batch.kubernetes.io/job-name': owner.name,
        'job-name': owner.name,
        'batch.kubernetes.io/controller-uid': owner.uid,
      },
      ownerReferences: [owner],
    },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'report',
          image: 'busybox:1.37',
          command: ['sh', '-c', 'echo report done'],
          resources: { requests: { cpu: '50m', memory: '32Mi' } },
        },
      ],
    },
  };
}

interface Phase {
  latencies: number[];
  errors: number;
}

/** A pod body for creator `creator`, with the placeholder name "NAME". */
type PodTemplateFor = (creator: number) => string;

async function phase(
  cp: ControlPlane,
  agent: Agent,
  label: string,
  templateFor: PodTemplateFor,
): Promise<Phase> {
  const latencies: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: CREATORS }, async (_, creator) => {
      const template = templateFor(creator);
      for (let i = 0; i < PODS_PER_CREATOR; i++) {
        const body = template.replace('"NAME"', JSON.stringify(`${label}-${creator}-${i}`));
        const { ms, status } = await createPod(cp, agent, body);
        if (status === 201) latencies.push(ms);
        else if (errors++ === 0) console.error(`${label}: first failure HTTP ${status}`);
      }
    }),
  );
  // Pods without a node are deleted at once: every phase starts from an empty namespace, so no
  // phase pays for a fuller etcd than another.
  const res = await apiRequest(cp, 'DELETE', `/api/v1/namespaces/${NAMESPACE}/pods`);
  if (res.status !== 200) throw new Error(`deleting the pods: HTTP ${res.status}`);
  return { latencies, errors };
}

function stats(phases: Phase[]): Stats {
  const latencies = phases.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
  return {
    count: latencies.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    errors: phases.reduce((sum, p) => sum + p.errors, 0),
  };
}

type WebhookConfiguration = {
  kind: string;
  metadata: { name: string; labels?: object };
  webhooks: { name: string; clientConfig: object }[];
};

/**
 * kafka-warden's MutatingWebhookConfiguration and ValidatingWebhookConfiguration exactly as the
 * chart installs them on this Kubernetes version (`helm template` of charts/kafka-warden, with
 * `webhooks.mutating.matchConditions` as given, and the default objectSelector or, given
 * `withObjectSelector: false`, none): rules, matchConditions, namespace and object selectors,
 * policies. Only clientConfig differs: a URL on this machine instead of the chart's Service, since
 * no pod runs here.
 */
function chartWebhookConfigurations(
  version: string,
  matchConditions: boolean,
  withObjectSelector = true,
) {
  const out = execFileSync(
    helmBinary(3),
    [
      'template',
      'kw',
      path.join(__dirname, '..', '..', 'charts', 'kafka-warden'),
      '--namespace',
      'kafka-warden-system',
      '--kube-version',
      version,
      '--show-only',
      'templates/webhooks.yaml',
      '--set',
      `webhooks.mutating.matchConditions=${matchConditions}`,
      ...(withObjectSelector ? [] : ['--set-json', 'webhooks.mutating.objectSelector=null']),
    ],
    { encoding: 'utf8' },
  );
  const docs = out
    .split(/^---$/m)
    .map((doc) => load(doc) as WebhookConfiguration | null)
    .filter((doc): doc is WebhookConfiguration => /WebhookConfiguration$/.test(doc?.kind ?? ''));
  if (docs.length !== 2) throw new Error(`expected two webhook configurations, got ${docs.length}`);
  const hasConditions = JSON.stringify(docs).includes('"matchConditions"');
  if (hasConditions !== matchConditions)
    throw new Error(`the chart rendered matchConditions=${hasConditions} on ${version}`);
  const mutating = docs.find((doc) => doc.kind.startsWith('Mutating'));
  const selector = (mutating?.webhooks[0] as { objectSelector?: object } | undefined)
    ?.objectSelector;
  if ((JSON.stringify(selector ?? {}) !== '{}') !== withObjectSelector)
    throw new Error(`the chart rendered objectSelector ${JSON.stringify(selector)}`);
  return docs;
}

/** Which webhook configurations a phase runs under: none, or the chart's pointed at a server. */
type Hooks =
  | { kind: 'none' }
  | {
      kind: 'chart' | 'chart-condition-only' | 'chart-no-conditions';
      port: number;
      caPem: string;
    };

/**
 * Registers the chart's webhook configurations (chartWebhookConfigurations), with or without
 * matchConditions, pointed at a server, or none, and waits until the API server acts on the change.
 */
async function setWebhooks(cp: ControlPlane, hooks: Hooks, version: string) {
  await deleteWebhooks(cp);
  if (hooks.kind !== 'none') {
    const caBundle = Buffer.from(hooks.caPem).toString('base64');
    const docs = chartWebhookConfigurations(
      version,
      hooks.kind !== 'chart-no-conditions',
      hooks.kind === 'chart',
    );
    for (const doc of docs) {
      doc.metadata = { ...doc.metadata, name: WEBHOOK_NAME };
      for (const webhook of doc.webhooks) {
        const pathname = doc.kind.startsWith('Mutating') ? '/mutate' : '/validate';
        webhook.clientConfig = { url: `https://127.0.0.1:${hooks.port}${pathname}`, caBundle };
      }
      const resource = doc.kind.toLowerCase() + 's';
      const res = await apiRequest(
        cp,
        'POST',
        `/apis/admissionregistration.k8s.io/v1/${resource}`,
        doc,
      );
      if (res.status !== 201)
        throw new Error(`registering ${doc.kind}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    }
  }
  await new Promise((r) => setTimeout(r, 2000));
}

/**
 * bench/bare-echo-server.mjs over HTTP/2 with a throw-away pair of its own (serve keeps its key in
 * memory); the webhook configurations pointed at it carry its CA.
 */
async function startBareWebhook(): Promise<{ child: ChildProcess; port: number; caPem: string }> {
  const files = await writeSelfSigned(['localhost', '127.0.0.1']);
  const caPem = readFileSync(files.caFile, 'utf8');
  const child = spawn(
    process.execPath,
    [
      path.join(__dirname, '..', '..', 'bench', 'bare-echo-server.mjs'),
      files.certFile,
      files.keyFile,
      'h2',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child.once('exit', () => rmSync(files.dir, { recursive: true, force: true }));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const found = /"port":(\d+)/.exec(out)?.[1];
      if (found) resolve(Number(found));
    });
    child.once('exit', (code) => reject(new Error(`bare webhook exited ${code}`)));
  });
  return { child, port, caPem };
}

const CONDITIONS = {
  ordinary1: 'ordinary pods, no webhooks (1st of the round)',
  ordinary2: 'ordinary pods, no webhooks (2nd of the round, same as the 1st)',
  ordinaryChart: "ordinary pods, kafka-warden's webhooks as the chart installs them",
  ordinaryConditionOnly:
    "ordinary pods, the chart's webhooks with objectSelector: null (the CEL condition alone)",
  ordinaryNoConditions:
    "ordinary pods, the chart's webhooks with matchConditions: false and objectSelector: null",
  stock: 'stock Kafka pods, no webhooks',
  stockBare: 'stock Kafka pods, bare allow-all webhook (the floor)',
  stockHooked: "stock Kafka pods, kafka-warden's webhooks (each pod injected)",
  injected: 'post-rendered Kafka pods, no webhooks',
  injectedBare: 'post-rendered Kafka pods, bare allow-all webhook (the floor)',
  injectedHooked: "post-rendered Kafka pods, kafka-warden's webhooks (empty patch)",
} as const;
type Condition = keyof typeof CONDITIONS;
/** The phases of ordinary pods under kafka-warden's configurations: serve's log counts their calls. */
const ORDINARY_HOOKED = ['ordinaryChart', 'ordinaryConditionOnly', 'ordinaryNoConditions'] as const;
type OrdinaryHooked = (typeof ORDINARY_HOOKED)[number];
const isOrdinaryHooked = (condition: Condition): condition is OrdinaryHooked =>
  (ORDINARY_HOOKED as readonly string[]).includes(condition);

async function main(): Promise<void> {
  const cp = await startControlPlane();
  const version = cp.version.replace(/^v/, '');
  try {
    await createNamespace(cp, NAMESPACE);
    const owner = await createOwner(cp);
    const owners = await createOrdinaryOwners(cp);
    const agent = new Agent({
      keepAlive: true,
      maxSockets: CREATORS,
      ca: cp.caPem,
      cert: readFileSync(cp.adminCertPath),
      key: readFileSync(cp.adminKeyPath),
    });
    const stockBody = JSON.stringify(brokerPod('NAME', owner));
    const injectedBody = JSON.stringify(brokerPod('NAME', owner, true));
    const webBody = JSON.stringify(webPod(owners.replicaSet));
    const jobBody = JSON.stringify(jobPod(owners.job));
    const stockPods: PodTemplateFor = () => stockBody;
    const injectedPods: PodTemplateFor = () => injectedBody;
    // Half the creators make a Deployment's web pods, half a Job's pods.
    const ordinaryPods: PodTemplateFor = (creator) => (creator % 2 ? jobBody : webBody);
    const serve = await startClusterServe(cp);
    const bare = await startBareWebhook();
    const chart: Hooks = { kind: 'chart', port: serve.port, caPem: serve.caPem };
    const chartNoConditions: Hooks = { ...chart, kind: 'chart-no-conditions' };
    const chartConditionOnly: Hooks = { ...chart, kind: 'chart-condition-only' };
    // The bare webhook under the very registration kafka-warden has: called for the Kafka pods.
    const bareHooks: Hooks = { kind: 'chart', port: bare.port, caPem: bare.caPem };
    try {
      // Warm-up of every path, then rounds that alternate the conditions, so drift of the
      // machine's load over the run falls on all of them alike.
      await phase(cp, agent, 'warm-a', ordinaryPods);
      await phase(cp, agent, 'warm-a2', stockPods);
      await setWebhooks(cp, bareHooks, version);
      await phase(cp, agent, 'warm-b', stockPods);
      await setWebhooks(cp, chart, version);
      await phase(cp, agent, 'warm-c', stockPods);
      await phase(cp, agent, 'warm-c2', ordinaryPods);
      await setWebhooks(cp, chartNoConditions, version);
      await phase(cp, agent, 'warm-d', ordinaryPods);
      await setWebhooks(cp, chartConditionOnly, version);
      await phase(cp, agent, 'warm-e', ordinaryPods);
      const logsBefore = serve.logLines().length;
      const runs = Object.fromEntries(
        Object.keys(CONDITIONS).map((k) => [k, [] as Phase[]]),
      ) as Record<Condition, Phase[]>;
      /** Phase labels of the ordinary pods created with kafka-warden's webhooks, per condition. */
      const ordinaryLabels: Record<OrdinaryHooked, string[]> = {
        ordinaryChart: [],
        ordinaryConditionOnly: [],
        ordinaryNoConditions: [],
      };
      const run = async (condition: Condition, round: number, pods: PodTemplateFor) => {
        const label = `r${round}-${condition.toLowerCase()}`;
        if (isOrdinaryHooked(condition)) ordinaryLabels[condition].push(label);
        runs[condition].push(await phase(cp, agent, label, pods));
      };
      for (let round = 0; round < ROUNDS; round++) {
        await setWebhooks(cp, { kind: 'none' }, version);
        await run('ordinary1', round, ordinaryPods);
        await run('stock', round, stockPods);
        await run('injected', round, injectedPods);
        await setWebhooks(cp, chart, version);
        await run('ordinaryChart', round, ordinaryPods);
        await run('stockHooked', round, stockPods);
        await run('injectedHooked', round, injectedPods);
        await setWebhooks(cp, chartConditionOnly, version);
        await run('ordinaryConditionOnly', round, ordinaryPods);
        await setWebhooks(cp, chartNoConditions, version);
        await run('ordinaryNoConditions', round, ordinaryPods);
        await setWebhooks(cp, bareHooks, version);
        await run('stockBare', round, stockPods);
        await run('injectedBare', round, injectedPods);
        await setWebhooks(cp, { kind: 'none' }, version);
        await run('ordinary2', round, ordinaryPods);
      }
      // What serve answered in the measured phases: one call per Kafka pod is what a cluster
      // should see, and none for the ordinary pods where the object selector or matchConditions apply.
      const kafkaAnswers: Record<string, number> = {};
      const ordinaryCalls = {
        ordinaryChart: 0,
        ordinaryConditionOnly: 0,
        ordinaryNoConditions: 0,
      };
      for (const line of serve.logLines().slice(logsBefore)) {
        if (line.msg !== 'admission') continue;
        const name = String(line.name);
        let ordinary = false;
        for (const condition of ORDINARY_HOOKED) {
          if (ordinaryLabels[condition].some((label) => name.startsWith(`${label}-`))) {
            ordinaryCalls[condition]++;
            ordinary = true;
          }
        }
        if (!ordinary && line.kind === 'Pod')
          kafkaAnswers[String(line.result)] = (kafkaAnswers[String(line.result)] ?? 0) + 1;
      }
      const s = Object.fromEntries(
        Object.entries(runs).map(([k, phases]) => [k, stats(phases)]),
      ) as Record<Condition, Stats>;
      const ordinaryBase = stats([...runs.ordinary1, ...runs.ordinary2]);
      const pct = (base: number, value: number) => {
        const p = (value / base - 1) * 100;
        return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
      };
      const row = (condition: Condition) => {
        const x = s[condition];
        return `| ${CONDITIONS[condition]} | ${x.count} | ${x.p50.toFixed(1)} ms | ${x.p90.toFixed(1)} ms | ${x.p99.toFixed(1)} ms | ${x.errors} |`;
      };
      const added = (label: string, base: Stats, hooked: Stats) =>
        `| ${label} | ${pct(base.p50, hooked.p50)} | ${pct(base.p99, hooked.p99)} |`;
      console.log(
        `${CREATORS} concurrent creators × ${PODS_PER_CREATOR} Pods per phase, ${ROUNDS} rounds; Kubernetes ${cp.version}`,
      );
      console.log('| condition | pods | median | p90 | p99 | errors |');
      console.log('| --- | --- | --- | --- | --- | --- |');
      for (const condition of Object.keys(CONDITIONS) as Condition[]) console.log(row(condition));
      console.log('');
      console.log('| compared | median | p99 |');
      console.log('| --- | --- | --- |');
      console.log(
        added('noise: 2nd against 1st no-webhook phase of the rounds', s.ordinary1, s.ordinary2),
      );
      console.log(
        added(
          "ordinary pods: added by kafka-warden's webhooks as the chart installs them",
          ordinaryBase,
          s.ordinaryChart,
        ),
      );
      console.log(
        added(
          "ordinary pods: added by the chart's webhooks with objectSelector: null (the CEL condition alone)",
          ordinaryBase,
          s.ordinaryConditionOnly,
        ),
      );
      console.log(
        added(
          "ordinary pods: added by the chart's webhooks with matchConditions: false and objectSelector: null",
          ordinaryBase,
          s.ordinaryNoConditions,
        ),
      );
      console.log(
        added('stock Kafka pods: added by a bare webhook (the floor)', s.stock, s.stockBare),
      );
      console.log(
        added(
          "stock Kafka pods: added by kafka-warden's webhooks + injection",
          s.stock,
          s.stockHooked,
        ),
      );
      console.log(
        added(
          'post-rendered Kafka pods: added by a bare webhook (the floor)',
          s.injected,
          s.injectedBare,
        ),
      );
      console.log(
        added(
          "post-rendered Kafka pods: added by kafka-warden's webhook calls (empty patch)",
          s.injected,
          s.injectedHooked,
        ),
      );
      // Over what the floor added: meaningless when the floor added nothing measurable (noise).
      const ratio = (base: Stats, floor: Stats, hooked: Stats) =>
        floor.p50 > base.p50
          ? `${((hooked.p50 - base.p50) / (floor.p50 - base.p50)).toFixed(2)}x`
          : 'n/a (the floor added nothing measurable)';
      console.log(
        `kafka-warden's added median over the bare webhook's: stock Kafka pods ${ratio(s.stock, s.stockBare, s.stockHooked)}; post-rendered Kafka pods ${ratio(s.injected, s.injectedBare, s.injectedHooked)}; post-rendered median against the floor's ${(s.injectedHooked.p50 / s.injectedBare.p50).toFixed(2)}x`,
      );
      console.log(
        `calls that reached serve for ordinary pods: ${ordinaryCalls.ordinaryChart} of ${s.ordinaryChart.count} with the chart's webhooks, ${ordinaryCalls.ordinaryNoConditions} of ${s.ordinaryNoConditions.count} with matchConditions: false and no objectSelector, ${ordinaryCalls.ordinaryConditionOnly} of ${s.ordinaryConditionOnly.count} with the CEL condition alone`,
      );
      console.log(
        `kafka-warden's answers to Kafka Pod calls in the measured phases, for ${s.stockHooked.count + s.injectedHooked.count} pods: ${JSON.stringify(kafkaAnswers)}`,
      );
    } finally {
      bare.child.kill('SIGTERM');
      await serve.stop();
    }
    agent.destroy();
  } finally {
    await cp.stop();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
