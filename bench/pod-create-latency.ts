/**
 * Pod CREATE latency through a real API server (test/support/control-plane.ts), without and then
 * with kafka-warden's webhooks registered (serve from the built bundle, by URL, as in the cluster
 * tier): 100 concurrent creators, a bounded number of cp-kafka broker Pods each, over keep-alive
 * HTTPS with the admin certificate. Built and run by bench/pod-create-latency.mjs.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import path from 'node:path';
import { load } from 'js-yaml';
import { startControlPlane, type ControlPlane } from '../test/support/control-plane';
import { createNamespace, registerWebhooks } from '../test/support/cluster-kube';
import { startClusterServe } from '../test/support/cluster-serve';
import { sharedDir } from '../test/support/paths';

const CREATORS = 100;
const PODS_PER_CREATOR = Number(process.env.BENCH_PODS_PER_CREATOR ?? 5);
const NAMESPACE = 'bench-pods';

interface Stats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
}

function brokerPod(name: string): unknown {
  const text = readFileSync(
    path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
    'utf8',
  );
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
    metadata: { ...sts.spec.template.metadata, name },
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

async function phase(cp: ControlPlane, agent: Agent, label: string): Promise<Stats> {
  const template = JSON.stringify(brokerPod('NAME'));
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
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
  return { count: latencies.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), errors };
}

async function main(): Promise<void> {
  const cp = await startControlPlane();
  try {
    await createNamespace(cp, NAMESPACE);
    const agent = new Agent({
      keepAlive: true,
      maxSockets: CREATORS,
      ca: cp.caPem,
      cert: readFileSync(cp.adminCertPath),
      key: readFileSync(cp.adminKeyPath),
    });
    await phase(cp, agent, 'warm-a');
    const without = await phase(cp, agent, 'plain');
    const serve = await startClusterServe(cp);
    try {
      await registerWebhooks(cp, serve.port, serve.caPem);
      await new Promise((r) => setTimeout(r, 2000)); // the API server picks up the configurations
      await phase(cp, agent, 'warm-b');
      const withWebhooks = await phase(cp, agent, 'hooked');
      const row = (label: string, s: Stats) =>
        `| ${label} | ${s.count} | ${s.p50.toFixed(1)} ms | ${s.p90.toFixed(1)} ms | ${s.p99.toFixed(1)} ms | ${s.errors} |`;
      console.log(
        `${CREATORS} concurrent creators × ${PODS_PER_CREATOR} cp-kafka broker Pods per phase; Kubernetes ${cp.version}`,
      );
      console.log('| phase | pods | median | p90 | p99 | errors |');
      console.log('| --- | --- | --- | --- | --- | --- |');
      console.log(row('no webhooks', without));
      console.log(row('kafka-warden mutating + validating webhooks', withWebhooks));
      console.log(
        `added: median ${((withWebhooks.p50 / without.p50 - 1) * 100).toFixed(0)}%, p99 ${((withWebhooks.p99 / without.p99 - 1) * 100).toFixed(0)}%`,
      );
    } finally {
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
