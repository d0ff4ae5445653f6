/**
 * What the live checks add to a POST /validate answer. A Kafka 2.7.2 cluster from the harness
 * (test/e2e/kafka/harness, tls-only, as mtls-2.7.test.ts), some topics so the metadata has some
 * size, then `kafka-warden serve` from the built bundle twice: without live checks, and with
 * `--kafka-tls-dir` (the harness's client keystore) and `--kafka-resolve` for every pod name.
 * Three StatefulSet UPDATE reviews, each a bounded number of times at a fixed concurrency over
 * keep-alive HTTPS; every answer is checked against the expected verdict. Built and run by
 * bench/live-check-latency.mjs; results are recorded by hand in bench/README.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { hostname, loadavg } from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../src/config/load-config';
import type { KubeObject, StatefulSetSpec } from '../src/core/k8s-types';
import { withAdmin } from '../test/e2e/kafka/harness/client-ops';
import { startKafkaCluster, type KafkaCluster } from '../test/e2e/kafka/harness/cluster';
import { REPO_ROOT } from '../test/support/paths';

const TOPICS = Number(process.env.BENCH_TOPICS ?? 20);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
/** The whole run, cluster start and teardown included. */
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_SECONDS ?? 300) * 1000;
const CLI = path.join(REPO_ROOT, 'bin', 'kafka-warden');

interface Case {
  label: string;
  body: string;
  /** The verdict a correct answer has, with and without live checks. */
  allowed: boolean;
  /** The live question this review asks (none for the control). */
  question: 'partition-health' | 'replicas-on-brokers' | null;
  /** A denial message must match this (checked on every answer, both modes). */
  message?: { off: RegExp; on: RegExp };
}

interface Result {
  latencies: number[];
  /** Requests over 100 ms: when they started (ms into the case) and how long they took. */
  slow: { at: number; ms: number }[];
  non200: number;
  denied: number;
  /** Answers that differ from the expected verdict or message (non-200 included). */
  wrong: number;
  samples: string[];
  /** Probe questions answered / failed during the measured requests (from /metrics). */
  questions: { answered: number; other: number; seconds: number };
}

// ---------------------------------------------------------------------------------------------
// Reviews

function cases(cluster: KafkaCluster): Case[] {
  const namespace = cluster.pods.namespace;
  const sts = structuredClone(cluster.pods.statefulSet);
  sts.metadata = { ...sts.metadata, namespace };
  const spec = sts.spec as StatefulSetSpec;
  const review = (object: KubeObject) =>
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'bench',
        kind: { group: 'apps', version: 'v1', kind: 'StatefulSet' },
        resource: { group: 'apps', version: 'v1', resource: 'statefulsets' },
        name: sts.metadata?.name,
        namespace,
        operation: 'UPDATE',
        object,
        oldObject: sts,
      },
    });

  const rolled = structuredClone(sts);
  const template = (rolled.spec as StatefulSetSpec).template;
  if (!template) throw new Error('the broker StatefulSet has no pod template');
  template.metadata = {
    ...template.metadata,
    annotations: {
      ...template.metadata?.annotations,
      'bench.kafka-warden.io/restarted-at': '2026-11-26T00:00:00Z',
    },
  };

  const replicas = spec.replicas ?? 1;
  const scaledDown = structuredClone(sts);
  (scaledDown.spec as StatefulSetSpec).replicas = replicas - 1;

  const annotated = structuredClone(sts);
  annotated.metadata = {
    ...annotated.metadata,
    annotations: { ...annotated.metadata?.annotations, 'example.com/touched': 'yes' },
  };

  return [
    {
      label: '(a) pod template change (rolling-restart)',
      body: review(rolled),
      allowed: true,
      question: 'partition-health',
    },
    {
      label: `(b) scale-down ${replicas}→${replicas - 1}, no plan (broker-scaling)`,
      body: review(scaledDown),
      // RF 3 on 3 brokers: the removed broker holds a replica of every partition. Without live
      // checks the missing plan denies; with them, the live cluster names the partitions.
      allowed: false,
      question: 'replicas-on-brokers',
      message: {
        off: /^(?![^]*The cluster reports)[^]*put the plan in annotation/,
        on: new RegExp(
          `The cluster reports \\d+ replica\\(s\\) of \\d+ partition\\(s\\)[^]*still on brokers ` +
            `${replicas - 1}: bench-`,
        ),
      },
    },
    {
      label: '(c) metadata-only change (control, no live question)',
      body: review(annotated),
      allowed: true,
      question: null,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// serve

interface Serve {
  child: ChildProcess;
  port: number;
  ca: string;
  tail(): string;
  stop(): Promise<void>;
}

function startServe(args: string[]): Promise<Serve> {
  const env = { ...process.env };
  // As in every other benchmark here: not part of the product, and it slows every TLS context.
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--no-kube',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--shutdown-delay',
      '0',
      ...args,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      live.delete(child);
      done();
    }),
  );
  // Info-level logs, one line per request, as in production; only the last lines are kept.
  let lines: string[] = [];
  let partial = '';
  let port: number | undefined;
  let caFile: string | undefined;
  return new Promise<Serve>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not listen within 30 s:\n${lines.join('\n')}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const split = text.split('\n');
      partial = split.pop() ?? '';
      lines = [...lines, ...split].slice(-30);
      if (port === undefined) {
        const found = /"port":(\d+)[^\n]*"msg":"listening"/.exec(text)?.[1];
        if (found) port = Number(found);
      }
      caFile ??= /CA at (\S+)/.exec(text)?.[1];
      if (port !== undefined && caFile !== undefined && serve === undefined) {
        clearTimeout(timer);
        serve = {
          child,
          port,
          ca: readFileSync(caFile, 'utf8'),
          tail: () => lines.join('\n'),
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill('SIGTERM');
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(kill);
          },
        };
        resolve(serve);
      }
    };
    let serve: Serve | undefined;
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}):\n${lines.join('\n')}\n${partial}`));
    });
  });
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------
// Load

function post(
  serve: Serve,
  agent: Agent,
  pathName: string,
  body: string | null,
): Promise<{ status: number; text: string; ms: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: serve.port,
        path: pathName,
        method: body === null ? 'GET' : 'POST',
        agent,
        headers:
          body === null
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

interface Answer {
  response?: {
    uid?: string;
    allowed?: boolean;
    status?: { message?: string };
    warnings?: string[];
  };
}

/** Every answer is read and checked; latency is request start to the last byte. */
async function load(
  serve: Serve,
  agent: Agent,
  c: Case,
  count: number,
  liveChecks: boolean,
): Promise<Result> {
  const result: Result = {
    latencies: [],
    slow: [],
    non200: 0,
    denied: 0,
    wrong: 0,
    samples: [],
    questions: { answered: 0, other: 0, seconds: 0 },
  };
  const expectedMessage = c.message ? (liveChecks ? c.message.on : c.message.off) : undefined;
  const caseStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        next += 1;
        const at = performance.now() - caseStart;
        const { status, text, ms } = await post(serve, agent, '/validate', c.body);
        result.latencies.push(ms);
        if (ms > 100) result.slow.push({ at, ms });
        let problem: string | undefined;
        if (status !== 200) {
          result.non200 += 1;
          problem = `HTTP ${status}: ${text.slice(0, 300)}`;
        } else {
          const answer = JSON.parse(text) as Answer;
          const allowed = answer.response?.allowed;
          const message = answer.response?.status?.message ?? '';
          if (allowed === false) result.denied += 1;
          if (answer.response?.uid !== 'bench') problem = `uid ${answer.response?.uid}`;
          else if (allowed !== c.allowed) problem = `allowed ${allowed}: ${message.slice(0, 300)}`;
          else if (expectedMessage && !expectedMessage.test(message)) {
            problem = `unexpected message: ${message.slice(0, 300)}`;
          }
          if (result.samples.length === 0) {
            const warnings = answer.response?.warnings ?? [];
            result.samples.push(
              `allowed=${allowed}` +
                (message ? ` message="${message.slice(0, 160)}…"` : '') +
                (warnings.length ? ` warnings=${JSON.stringify(warnings).slice(0, 160)}` : ''),
            );
          }
        }
        if (problem !== undefined) {
          result.wrong += 1;
          if (result.wrong <= 3) result.samples.push(`WRONG: ${problem}`);
        }
      }
    }),
  );
  return result;
}

type Counts = Map<string, number>;

/** kafka_warden_cluster_check_duration_seconds _count and _sum by question and outcome. */
async function questionCounts(serve: Serve, agent: Agent): Promise<Counts> {
  const { status, text } = await post(serve, agent, '/metrics', null);
  if (status !== 200) throw new Error(`GET /metrics: HTTP ${status}`);
  const counts: Counts = new Map();
  const line = /^kafka_warden_cluster_check_duration_seconds_(count|sum)\{([^}]*)\} (\S+)$/gm;
  for (const m of text.matchAll(line)) {
    const labels = m[2] ?? '';
    const question = /question="([^"]*)"/.exec(labels)?.[1];
    const outcome = /outcome="([^"]*)"/.exec(labels)?.[1];
    counts.set(`${m[1]} ${question} ${outcome}`, Number(m[3]));
  }
  return counts;
}

function questionDelta(before: Counts, after: Counts, question: string) {
  const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  let other = 0;
  for (const outcome of ['failed', 'aborted']) other += delta(`count ${question} ${outcome}`);
  return {
    answered: delta(`count ${question} answered`),
    other,
    seconds: delta(`sum ${question} answered`),
  };
}

async function runPhase(serve: Serve, all: Case[], liveChecks: boolean): Promise<Result[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: serve.ca });
  try {
    const results: Result[] = [];
    for (const c of all) {
      await load(serve, agent, c, WARMUP, liveChecks);
      const before = await questionCounts(serve, agent);
      const result = await load(serve, agent, c, REQUESTS, liveChecks);
      const after = await questionCounts(serve, agent);
      // Every question any review asked during this case, so a control that asks is visible.
      for (const question of ['partition-health', 'replicas-on-brokers']) {
        const d = questionDelta(before, after, question);
        result.questions.answered += d.answered;
        result.questions.other += d.other;
        result.questions.seconds += d.seconds;
      }
      const expectedQuestions = liveChecks && c.question ? REQUESTS : 0;
      if (result.questions.answered !== expectedQuestions || result.questions.other > 0) {
        result.wrong += 1;
        result.samples.push(
          `WRONG: ${result.questions.answered} live questions answered, ` +
            `${result.questions.other} failed/aborted (expected ${expectedQuestions} answered)`,
        );
      }
      results.push(result);
    }
    return results;
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function quantiles(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
  return {
    p50: at(0.5) ?? NaN,
    p90: at(0.9) ?? NaN,
    p99: at(0.99) ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

function report(all: Case[], off: Result[], on: Result[]): boolean {
  console.log(
    `\nPOST /validate, ${REQUESTS} requests per case after ${WARMUP} warm-up, ${CONCURRENCY} in ` +
      `flight, keep-alive HTTPS; ${TOPICS} topics × ${PARTITIONS} partitions, RF 3 ` +
      `(${TOPICS * PARTITIONS} partitions); node ${process.version}`,
  );
  console.log(
    '| review | live checks | p50 | p90 | p99 | max | > 100 ms | non-200 | denied | wrong | probe questions (mean) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  let ok = true;
  all.forEach((c, i) => {
    for (const [mode, r] of [
      ['off', off[i]],
      ['on', on[i]],
    ] as const) {
      if (!r) continue;
      const q = quantiles(r.latencies);
      const questions =
        r.questions.answered > 0
          ? `${r.questions.answered} (${ms((r.questions.seconds / r.questions.answered) * 1000)})`
          : '0';
      console.log(
        `| ${c.label} | ${mode} | ${ms(q.p50)} | ${ms(q.p90)} | ${ms(q.p99)} | ${ms(q.max)} | ` +
          `${r.slow.length} | ` +
          `${r.non200} | ${r.denied} | ${r.wrong} | ${questions} |`,
      );
      if (r.wrong > 0) ok = false;
    }
  });
  console.log('\nAdded by the live checks (on − off):');
  all.forEach((c, i) => {
    const a = off[i];
    const b = on[i];
    if (!a || !b) return;
    const qa = quantiles(a.latencies);
    const qb = quantiles(b.latencies);
    console.log(
      `- ${c.label}: p50 ${signed(qb.p50 - qa.p50)}, p99 ${signed(qb.p99 - qa.p99)} ` +
        `(p99 with live checks ${ms(qb.p99)}: ${qb.p99 < 100 ? 'under' : 'OVER'} the 100 ms target)`,
    );
  });
  if (process.env.BENCH_VERBOSE === '1') {
    console.log('\nRequests over 100 ms (start in ms into the case: duration):');
    all.forEach((c, i) => {
      for (const [mode, r] of [
        ['off', off[i]],
        ['on', on[i]],
      ] as const) {
        if (!r?.slow.length) continue;
        const list = r.slow.map((s) => `${s.at.toFixed(0)}: ${s.ms.toFixed(0)}`).join(', ');
        console.log(`- ${c.label}, live checks ${mode}: ${list}`);
      }
    });
  }
  console.log('\nSample answers:');
  all.forEach((c, i) => {
    for (const [mode, r] of [
      ['off', off[i]],
      ['on', on[i]],
    ] as const) {
      for (const sample of r?.samples ?? [])
        console.log(`- ${c.label}, live checks ${mode}: ${sample}`);
    }
  });
  return ok;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`;
}

// ---------------------------------------------------------------------------------------------

/** `--kafka-resolve` for every name of the pod network but the machine's own. */
function resolveFlags(cluster: KafkaCluster): string[] {
  const own = new Set(['localhost', hostname().toLowerCase()]);
  return cluster.network
    .hostsFile()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(' ') as [string, string])
    .filter(([, name]) => !own.has(name))
    .flatMap(([address, name]) => ['--kafka-resolve', `${name}=${address}`]);
}

async function createTopics(cluster: KafkaCluster): Promise<void> {
  const topics = Array.from({ length: TOPICS }, (_, i) => `bench-${String(i).padStart(2, '0')}`);
  await withAdmin(cluster.kafka(), async (admin) => {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 3 })),
      waitForLeaders: true,
    });
    // The template change is allowed only when every partition is fully in sync.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const partitions = found.flatMap((t) => t.partitions);
      const lagging = partitions.filter((p) => p.isr.length < 3).length;
      if (partitions.length === TOPICS * PARTITIONS && lagging === 0) return;
      if (Date.now() > deadline) throw new Error(`${lagging} partition(s) not in sync after 60 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });
}

/**
 * Where the tail comes from: the probe's access pattern against the same cluster, with kafkajs
 * alone (the harness's client, no webhook): src/kafka/client.ts reads the metadata as two
 * Metadata requests sent together (describeCluster ∥ fetchTopicMetadata), against the same two one
 * after the other and a single request.
 */
async function kafkajsPatterns(cluster: KafkaCluster): Promise<void> {
  await withAdmin(cluster.kafka({ clientId: 'bench-patterns' }), async (admin) => {
    const patterns: [string, () => Promise<unknown>][] = [
      [
        'two Metadata requests together (describeCluster ∥ fetchTopicMetadata; the probe before the fix)',
        () => Promise.all([admin.describeCluster(), admin.fetchTopicMetadata()]),
      ],
      [
        'the same two, one after the other (the probe now)',
        async () => {
          await admin.describeCluster();
          await admin.fetchTopicMetadata();
        },
      ],
      ['one Metadata request (fetchTopicMetadata)', () => admin.fetchTopicMetadata()],
    ];
    console.log(
      `\nkafkajs alone, ${REQUESTS} questions per pattern after ${WARMUP} warm-up, ` +
        `${CONCURRENCY} in flight, one admin client:`,
    );
    console.log('| pattern | p50 | p90 | p99 | max | > 100 ms |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const [label, ask] of patterns) {
      const latencies: number[] = [];
      for (const count of [WARMUP, REQUESTS]) {
        latencies.length = 0;
        let next = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < count) {
              next += 1;
              const started = performance.now();
              await ask();
              latencies.push(performance.now() - started);
            }
          }),
        );
      }
      const q = quantiles(latencies);
      const slow = latencies.filter((l) => l > 100).length;
      console.log(
        `| ${label} | ${ms(q.p50)} | ${ms(q.p90)} | ${ms(q.p99)} | ${ms(q.max)} | ${slow} |`,
      );
    }
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} before the cluster starts`,
  );
  const config = loadConfigFile(path.join(REPO_ROOT, 'test', 'golden', 'configs', 'tls-only.yaml'));
  let cluster: KafkaCluster | undefined;
  const serves: Serve[] = [];
  let stopping: Promise<void> | undefined;
  const tearDown = () =>
    (stopping ??= (async () => {
      await Promise.all(serves.map((s) => s.stop().catch(() => undefined)));
      await cluster?.stop();
    })());
  const deadline = setTimeout(() => {
    console.error(`bench: over ${DEADLINE_MS / 1000} s; tearing down`);
    void tearDown().finally(() => process.exit(2));
  }, DEADLINE_MS);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void tearDown().finally(() => process.exit(130)));
  }
  try {
    cluster = await startKafkaCluster({ version: '2.7.2', source: 'post-renderer', config });
    console.log(`Kafka ${cluster.version}, ${cluster.brokers.length} brokers up:`, cluster.timings);
    await createTopics(cluster);
    const all = cases(cluster);

    const plain = await startServe([]);
    serves.push(plain);
    const off = await runPhase(plain, all, false);
    await plain.stop();

    const checking = await startServe([
      '--kafka-tls-dir',
      cluster.material.client.dir,
      ...resolveFlags(cluster),
    ]);
    serves.push(checking);
    const on = await runPhase(checking, all, true).catch((error: unknown) => {
      console.error(`serve's last lines:\n${checking.tail()}`);
      throw error;
    });
    await checking.stop();

    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} at the end (the cluster's 7 JVMs and this process share the machine)`,
    );
    const ok = report(all, off, on);
    if (!ok) console.error('\nSOME ANSWERS WERE WRONG: the figures above do not count.');
    if (process.env.BENCH_PATTERNS !== '0') await kafkajsPatterns(cluster);
    return ok ? 0 : 1;
  } finally {
    // The deadline timer also keeps the event loop alive: the harness unrefs its JVMs, and waiting
    // for their exit alone would let Node quit before the temp directory is removed.
    await tearDown();
    clearTimeout(deadline);
    console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s, torn down`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
