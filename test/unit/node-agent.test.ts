/**
 * The node agent's pure decisions (test/support/node-agent): what a pod's Ready means, and which
 * endpoints cluster DNS publishes. The agent's behaviour with real processes is the node-agent
 * tier's (test/e2e/node-agent).
 */
import { dnsRecords, type EndpointSlice } from '../support/node-agent/dns';
import { podStatus, type ContainerState } from '../support/node-agent/pod-status';
import { podLocalCommand } from '../support/node-agent/probes';

const container = (ready: boolean): ContainerState => ({
  name: 'c',
  image: 'i',
  running: true,
  ready,
  restartCount: 0,
  startedAt: 'now',
  waitingReason: null,
  waitingMessage: null,
  lastExit: null,
});

const ready = (input: Partial<Parameters<typeof podStatus>[0]>) =>
  (
    podStatus({
      podIP: '10.1.1.1',
      hostIP: '10.1.0.1',
      startTime: 't0',
      initialized: true,
      containers: [container(true)],
      readinessGates: [],
      current: [],
      now: 't1',
      ...input,
    }).conditions as { type: string; status: string; reason?: string }[]
  ).find((c) => c.type === 'Ready');

describe('pod Ready', () => {
  test.each([
    ['every container ready, no gate', 'True', {}],
    ['a container not ready', 'False', { containers: [container(true), container(false)] }],
    ['init containers not done', 'False', { initialized: false }],
    ['a gate with no condition yet', 'False', { readinessGates: ['g'] }],
    [
      'a gate False',
      'False',
      { readinessGates: ['g'], current: [{ type: 'g', status: 'False' as const }] },
    ],
    [
      'a gate True',
      'True',
      { readinessGates: ['g'], current: [{ type: 'g', status: 'True' as const }] },
    ],
    [
      'one of two gates True',
      'False',
      { readinessGates: ['g', 'h'], current: [{ type: 'g', status: 'True' as const }] },
    ],
  ])('given %s, Ready is %s', (_name, expected, input) => {
    expect(ready(input)?.status).toBe(expected);
  });

  test('a gate not True says so in the reason', () => {
    expect(ready({ readinessGates: ['g'] })?.reason).toBe('ReadinessGatesNotReady');
  });

  test('the transition time stays while the status stays', () => {
    const kept = ready({
      current: [{ type: 'Ready', status: 'True', lastTransitionTime: 'earlier' }],
    });
    expect(kept).toMatchObject({ status: 'True', lastTransitionTime: 'earlier' });
  });
});

describe('cluster DNS from EndpointSlices', () => {
  const service = (name: string, spec: Record<string, unknown>) => ({
    metadata: { name, namespace: 'ns' },
    spec,
  });
  const slice = (serviceName: string, readyFlag: boolean): EndpointSlice => ({
    metadata: {
      name: `${serviceName}-x`,
      namespace: 'ns',
      labels: { 'kubernetes.io/service-name': serviceName },
    },
    endpoints: [{ addresses: ['10.240.1.11'], hostname: 'b-0', conditions: { ready: readyFlag } }],
  });

  test('a ready endpoint of a headless Service: its name and the pod name, in every search form, at the loopback address', () => {
    const records = dnsRecords([service('h', { clusterIP: 'None' })], [slice('h', true)]);
    for (const name of [
      'h',
      'h.ns',
      'h.ns.svc',
      'h.ns.svc.cluster.local',
      'b-0.h',
      'b-0.h.ns',
      'b-0.h.ns.svc.cluster.local',
    ]) {
      expect(records.get(name)).toEqual(['127.240.1.11']);
    }
  });

  test('a not-ready endpoint is left out, unless the Service publishes not-ready addresses', () => {
    expect(dnsRecords([service('h', { clusterIP: 'None' })], [slice('h', false)]).size).toBe(0);
    const published = dnsRecords(
      [service('h', { clusterIP: 'None', publishNotReadyAddresses: true })],
      [slice('h', false)],
    );
    expect(published.get('b-0.h.ns')).toEqual(['127.240.1.11']);
  });

  test('a ClusterIP Service resolves to nothing (no proxy runs)', () => {
    expect(dnsRecords([service('c', { clusterIP: '10.96.0.10' })], [slice('c', true)]).size).toBe(
      0,
    );
  });
});

describe("exec probes in the pod's network", () => {
  test('127.0.0.1 and localhost are the pod: rewritten to its address, nothing else', () => {
    const script =
      'exec 3<>/dev/tcp/127.0.0.1/2181 && curl http://localhost:8080/ && echo 127.0.0.10 localhost.example';
    expect(podLocalCommand(['bash', '-c', script], '127.240.1.11')).toEqual([
      'bash',
      '-c',
      'exec 3<>/dev/tcp/127.240.1.11/2181 && curl http://127.240.1.11:8080/ && echo 127.0.0.10 localhost.example',
    ]);
  });
});
