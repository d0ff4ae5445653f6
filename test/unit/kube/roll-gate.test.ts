/**
 * The roll gate's controller and Lease against a fake API server (the real one: test/e2e/cluster):
 * what it writes to pods/status from which snapshot, what it never writes, and one leader of two.
 */
import pino from 'pino';
import type { SyncSnapshot } from '../../../src/core/broker-sync';
import type { KubeApi, KubeResponse } from '../../../src/kube/kube-api';
import { LeaseElector } from '../../../src/kube/lease';
import {
  gatedPod,
  OVERRIDE_REASON,
  RollGateController,
  STRATEGIC_MERGE_PATCH,
  wantedCondition,
} from '../../../src/kube/roll-gate';

const logger = pino({ level: 'silent' });
const TYPE = 'kafka-warden.io/broker-in-sync';

interface Call {
  method: string;
  path: string;
  body?: unknown;
  contentType?: string;
}

function fakeApi(answer: (call: Call) => KubeResponse<unknown>): KubeApi & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    server: 'https://fake',
    calls,
    request<T>(method: string, path: string, body?: unknown, options?: { contentType?: string }) {
      const call = {
        method,
        path,
        body,
        ...(options?.contentType ? { contentType: options.contentType } : {}),
      };
      calls.push(call);
      return Promise.resolve(answer(call) as KubeResponse<T>);
    },
    watch: () => new Promise<void>(() => undefined),
  };
}

const pod = (
  name: string,
  conditions: { type: string; status: string; reason?: string; message?: string }[],
) => ({
  metadata: {
    namespace: 'kafka',
    name,
    uid: `uid-${name}`,
    resourceVersion: '7',
    ownerReferences: [{ kind: 'StatefulSet', name: 'my-cp-cp-kafka', controller: true }],
  },
  spec: {
    subdomain: 'my-cp-cp-kafka-headless',
    readinessGates: [{ conditionType: TYPE }],
    containers: [],
  },
  status: { conditions },
});
const ready = { type: 'ContainersReady', status: 'True' };

const snapshot = (isr: number[]): SyncSnapshot => ({
  brokers: [0, 1, 2],
  partitions: [{ topic: 't', partition: 0, leader: 0, replicas: [0, 1, 2], isr }],
  minIsr: new Map([['t', 2]]),
});

describe('wantedCondition', () => {
  const base = { brokerId: 2, containersReady: true, condition: undefined };
  test.each([
    ['caught up: True', base, snapshot([0, 1, 2]), { status: 'True', reason: 'InSync' }],
    ['behind: False', base, snapshot([0, 1]), { status: 'False', reason: 'NotInIsr' }],
    [
      'containers not Ready: False, whatever Kafka says',
      { ...base, containersReady: false },
      snapshot([0, 1, 2]),
      { status: 'False', reason: 'ContainersNotReady' },
    ],
    [
      'cluster unreadable, not yet True: False KafkaUnreachable',
      base,
      { error: 'ECONNREFUSED' },
      { status: 'False', reason: 'KafkaUnreachable' },
    ],
  ] as const)('%s', (_t, podState, snap, expected) => {
    expect(wantedCondition(podState, snap)).toMatchObject(expected);
  });

  test('cluster unreadable while True: left as it is (no flapping while kafka-warden is blind)', () => {
    const condition = { type: TYPE, status: 'True', reason: 'InSync', message: 'x' };
    expect(wantedCondition({ ...base, condition }, { error: 'timeout' })).toBeUndefined();
  });

  test("an operator's override is never touched", () => {
    const condition = { type: TYPE, status: 'True', reason: OVERRIDE_REASON, message: 'drain' };
    expect(wantedCondition({ ...base, condition }, snapshot([0, 1]))).toBeUndefined();
    expect(
      wantedCondition({ ...base, containersReady: false, condition }, { error: 'x' }),
    ).toBeUndefined();
  });

  test('unchanged: nothing to write', () => {
    const first = wantedCondition(base, snapshot([0, 1, 2]));
    const condition = { type: TYPE, ...first };
    expect(wantedCondition({ ...base, condition }, snapshot([0, 1, 2]))).toBeUndefined();
  });
});

describe('gatedPod', () => {
  test('a gated pod of a StatefulSet: broker id from the ordinal, cluster from owner and subdomain', () => {
    expect(gatedPod(pod('my-cp-cp-kafka-2', [ready]))).toMatchObject({
      brokerId: 2,
      containersReady: true,
      cluster: {
        namespace: 'kafka',
        statefulSet: 'my-cp-cp-kafka',
        serviceName: 'my-cp-cp-kafka-headless',
      },
    });
  });
  test.each([
    ['no readiness gate', { spec: { containers: [] } }],
    ['being deleted', { metadata: { ...pod('x-1', []).metadata, deletionTimestamp: 'now' } }],
    ['no StatefulSet owner', { metadata: { ...pod('x-1', []).metadata, ownerReferences: [] } }],
    ['no ordinal', { metadata: { ...pod('x', []).metadata } }],
  ])('not judged: %s', (_t, change) => {
    expect(gatedPod({ ...pod('x-1', []), ...change })).toBeUndefined();
  });
});

describe('RollGateController.reconcile', () => {
  const run = async (
    pods: unknown[],
    kafka: () => Promise<SyncSnapshot>,
    leader = true,
    service = { spec: { clusterIP: 'None' } },
  ) => {
    const api = fakeApi((call) => {
      if (call.method === 'GET' && call.path.startsWith('/api/v1/namespaces/kafka/pods?')) {
        return { status: 200, body: { items: pods, metadata: {} } };
      }
      if (call.method === 'GET' && call.path.includes('/services/'))
        return { status: 200, body: service };
      return { status: 200, body: {} };
    });
    const asked: string[] = [];
    const controller = new RollGateController({
      api,
      kafka: { syncSnapshot: (cluster) => (asked.push(cluster.statefulSet), kafka()) },
      logger,
      isLeader: () => leader,
      namespaces: ['kafka'],
    });
    await controller.reconcile();
    return { calls: api.calls, asked };
  };

  test('writes the verdict to pods/status, conditional on the resourceVersion read, as a strategic merge', async () => {
    const { calls, asked } = await run([pod('my-cp-cp-kafka-2', [ready])], () =>
      Promise.resolve(snapshot([0, 1, 2])),
    );
    expect(asked).toEqual(['my-cp-cp-kafka']);
    const write = calls.find((c) => c.path.endsWith('/pods/my-cp-cp-kafka-2/status'));
    expect(write).toMatchObject({
      method: 'PATCH',
      contentType: STRATEGIC_MERGE_PATCH,
      body: {
        metadata: { resourceVersion: '7' },
        status: { conditions: [{ type: TYPE, status: 'True', reason: 'InSync' }] },
      },
    });
  });

  test('sets publishNotReadyAddresses on the governing Service once, by merge patch of that field', async () => {
    const { calls } = await run([pod('my-cp-cp-kafka-0', [ready])], () =>
      Promise.resolve(snapshot([0, 1, 2])),
    );
    const patch = calls.find(
      (c) => c.method === 'PATCH' && c.path.endsWith('/services/my-cp-cp-kafka-headless'),
    );
    expect(patch?.body).toEqual({ spec: { publishNotReadyAddresses: true } });
  });

  test('not the leader: not a single request', async () => {
    const { calls, asked } = await run(
      [pod('my-cp-cp-kafka-2', [ready])],
      () => Promise.resolve(snapshot([0, 1, 2])),
      false,
    );
    expect(calls).toEqual([]);
    expect(asked).toEqual([]);
  });

  test('Kafka unreadable: a True pod is not written, a new one gets False KafkaUnreachable', async () => {
    const trueCondition = { type: TYPE, status: 'True', reason: 'InSync', message: 'm' };
    const { calls } = await run(
      [pod('my-cp-cp-kafka-0', [ready, trueCondition]), pod('my-cp-cp-kafka-1', [ready])],
      () => Promise.reject(new Error('cannot reach Kafka')),
    );
    const writes = calls.filter((c) => c.path.endsWith('/status'));
    expect(writes.map((c) => c.path)).toEqual([
      '/api/v1/namespaces/kafka/pods/my-cp-cp-kafka-1/status',
    ]);
    expect(writes[0]?.body).toMatchObject({
      status: { conditions: [{ status: 'False', reason: 'KafkaUnreachable' }] },
    });
  });
});

describe('LeaseElector: one leader of two', () => {
  function leaseStore() {
    let lease: { metadata: { resourceVersion: string }; spec: Record<string, unknown> } | undefined;
    let version = 0;
    return fakeApi((call) => {
      if (call.method === 'GET')
        return lease ? { status: 200, body: structuredClone(lease) } : { status: 404, body: {} };
      const body = call.body as {
        metadata?: { resourceVersion?: string };
        spec: Record<string, unknown>;
      };
      if (call.method === 'POST') {
        if (lease) return { status: 409, body: {} };
      } else if (body.metadata?.resourceVersion !== lease?.metadata.resourceVersion) {
        return { status: 409, body: {} };
      }
      lease = { metadata: { resourceVersion: String(++version) }, spec: body.spec };
      return { status: call.method === 'POST' ? 201 : 200, body: lease };
    });
  }

  test('the first takes it; the second waits; a release hands it over at once', async () => {
    let now = 1_000_000;
    const api = leaseStore();
    const make = (identity: string) =>
      new LeaseElector({
        api,
        namespace: 'kw',
        name: 'gate',
        identity,
        logger,
        leaseDurationMs: 15_000,
        now: () => now,
      });
    const a = make('a');
    const b = make('b');
    await a.tick();
    await b.tick();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    now += 5_000;
    await a.tick();
    await b.tick();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    await a.stop();
    expect(a.isLeader()).toBe(false);
    await b.tick();
    expect(b.isLeader()).toBe(true);
  });

  test('a leader that stops renewing (killed) loses it after the lease, and stops acting before', async () => {
    let now = 1_000_000;
    const api = leaseStore();
    const make = (identity: string) =>
      new LeaseElector({
        api,
        namespace: 'kw',
        name: 'gate',
        identity,
        logger,
        leaseDurationMs: 15_000,
        now: () => now,
      });
    const a = make('a');
    const b = make('b');
    await a.tick();
    await b.tick();
    now += 10_000;
    // a has not renewed for its whole renew deadline (2/3 of the lease): it no longer acts.
    expect(a.isLeader()).toBe(false);
    await b.tick();
    expect(b.isLeader()).toBe(false);
    now += 5_000;
    await b.tick();
    expect(b.isLeader()).toBe(true);
    const { spec } = (await api.request<{ spec: { renewTime: string } }>('GET', 'x')).body;
    expect(spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });
});
