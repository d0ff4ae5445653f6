/**
 * Pod CREATE latency through a real API server (test/support/control-plane.ts), without and then
 * with kafka-warden's webhooks registered (serve from the built bundle, by URL, as in the cluster
 * tier): 100 concurrent creators, a bounded number of cp-kafka broker Pods each, over keep-alive
 * HTTPS with the admin certificate. The same webhook configurations pointed at a bare server that
 * answers `allowed: true` and nothing else (bench/bare-echo-server.mjs, HTTP/2) give the floor: what
 * any webhook costs here. Built and run by bench/pod-create-latency.mjs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import path from 'node:path';
import { load } from 'js-yaml';
import { startControlPlane, type ControlPlane } from '../test/support/control-plane';
import { createNamespace, deleteWebhooks, registerWebhooks } from '../test/support/cluster-kube';
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

interface Phase {
  latencies: number[];
  errors: number;
}

async function phase(
  cp: ControlPlane,
  agent: Agent,
  owner: OwnerReference,
  label: string,
  injected = false,
): Promise<Phase> {
  const template = JSON.stringify(brokerPod('NAME', owner, injected));
  const latencies: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: CREATORS }, async (_, creator) => {
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

/**
 * Points the webhook configurations at a server (or removes them) and waits until the API server
 * acts on the change.
 */
async function setWebhooks(cp: ControlPlane, port: number | null, caPem: string) {
  await deleteWebhooks(cp);
  if (port !== null) await registerWebhooks(cp, port, caPem);
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

async function main(): Promise<void> {
  const cp = await startControlPlane();
  try {
    await createNamespace(cp, NAMESPACE);
    const owner = await createOwner(cp);
    const agent = new Agent({
      keepAlive: true,
      maxSockets: CREATORS,
      ca: cp.caPem,
      cert: readFileSync(cp.adminCertPath),
      key: readFileSync(cp.adminKeyPath),
    });
    const serve = await startClusterServe(cp);
    const bare = await startBareWebhook();
    try {
      // Warm-up of every path, then rounds that alternate the five conditions, so drift of the
      // machine's load over the run falls on all of them alike.
      await phase(cp, agent, owner, 'warm-a');
      await setWebhooks(cp, bare.port, bare.caPem);
      await phase(cp, agent, owner, 'warm-b');
      await setWebhooks(cp, serve.port, serve.caPem);
      await phase(cp, agent, owner, 'warm-c');
      const logsBefore = serve.logLines().length;
      const runs: Record<
        'stock' | 'stockBare' | 'stockHooked' | 'injected' | 'injectedHooked',
        Phase[]
      > = { stock: [], stockBare: [], stockHooked: [], injected: [], injectedHooked: [] };
      for (let round = 0; round < ROUNDS; round++) {
        runs.stockHooked.push(await phase(cp, agent, owner, `r${round}-hooked`));
        runs.injectedHooked.push(await phase(cp, agent, owner, `r${round}-hooked-injected`, true));
        await setWebhooks(cp, bare.port, bare.caPem);
        runs.stockBare.push(await phase(cp, agent, owner, `r${round}-bare`));
        await setWebhooks(cp, null, serve.caPem);
        runs.stock.push(await phase(cp, agent, owner, `r${round}-plain`));
        runs.injected.push(await phase(cp, agent, owner, `r${round}-plain-injected`, true));
        if (round < ROUNDS - 1) await setWebhooks(cp, serve.port, serve.caPem);
      }
      // What serve answered in the measured phases: one call per pod is what a cluster should see.
      const answers: Record<string, number> = {};
      for (const line of serve.logLines().slice(logsBefore)) {
        if (line.msg === 'admission' && line.kind === 'Pod')
          answers[String(line.result)] = (answers[String(line.result)] ?? 0) + 1;
      }
      const without = stats(runs.stock);
      const withBare = stats(runs.stockBare);
      const withWebhooks = stats(runs.stockHooked);
      const injectedWithout = stats(runs.injected);
      const injectedWith = stats(runs.injectedHooked);
      const row = (label: string, s: Stats) =>
        `| ${label} | ${s.count} | ${s.p50.toFixed(1)} ms | ${s.p90.toFixed(1)} ms | ${s.p99.toFixed(1)} ms | ${s.errors} |`;
      const added = (label: string, base: Stats, hooked: Stats) =>
        `${label}: median ${((hooked.p50 / base.p50 - 1) * 100).toFixed(0)}%, p99 ${((hooked.p99 / base.p99 - 1) * 100).toFixed(0)}%`;
      console.log(
        `${CREATORS} concurrent creators × ${PODS_PER_CREATOR} cp-kafka broker Pods per phase, ${ROUNDS} rounds; Kubernetes ${cp.version}`,
      );
      console.log('| condition | pods | median | p90 | p99 | errors |');
      console.log('| --- | --- | --- | --- | --- | --- |');
      console.log(row('stock pods, no webhooks', without));
      console.log(row('stock pods, bare allow-all webhook (the floor)', withBare));
      console.log(row('stock pods, webhooks (each pod injected)', withWebhooks));
      console.log(row('post-rendered pods, no webhooks', injectedWithout));
      console.log(row('post-rendered pods, webhooks (empty patch)', injectedWith));
      console.log(added('added by a bare webhook (the floor)', without, withBare));
      console.log(added('added by webhooks + injection (stock pods)', without, withWebhooks));
      console.log(
        added('added by the webhook calls alone (post-rendered)', injectedWithout, injectedWith),
      );
      console.log(
        `kafka-warden's answers to Pod calls in the measured phases, for ${withWebhooks.count + injectedWith.count} pods created with its webhooks: ${JSON.stringify(answers)}`,
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
