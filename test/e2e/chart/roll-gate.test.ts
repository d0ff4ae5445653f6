/**
 * charts/kafka-warden with rollGate.enabled (docs/design.md, "The roll gate"): the Deployment runs
 * `serve --roll-gate` with its Lease, the injection configuration gates the brokers, and the RBAC is
 * exactly what the controller's code asks the API server for. That last part is not a list copied
 * from the code: the real RollGateController and LeaseElector run against a recording fake API
 * server, configured from the rendered flags, and every request they make must be allowed by the
 * rendered rules, and every rule the gate adds must be used by one of those requests.
 */
import { load } from 'js-yaml';
import pino from 'pino';
import type { SyncSnapshot } from '../../../src/core/broker-sync';
import type { KubeApi, KubeResponse } from '../../../src/kube/kube-api';
import { LeaseElector } from '../../../src/kube/lease';
import { RollGateController } from '../../../src/kube/roll-gate';
import { parseLease } from '../../../src/kube/start-roll-gate';
import {
  HELM_MAJORS,
  find,
  grants,
  kinds,
  render,
  templateRun,
  type K8sObject,
  type RoleLike,
} from './chart-support';

const LIVE = { liveChecks: { enabled: true } };
const GATE = { ...LIVE, rollGate: { enabled: true } };

interface EnvVar {
  name: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Container {
  args: string[];
  env?: EnvVar[];
}
interface Deployment extends K8sObject {
  spec: { template: { spec: { containers: Container[]; automountServiceAccountToken: boolean } } };
}
interface Binding extends K8sObject {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace: string }[];
}

function main(objects: K8sObject[]): Container {
  const containers = find<Deployment>(objects, 'Deployment').spec.template.spec.containers;
  expect(containers).toHaveLength(1);
  return containers[0] as Container;
}

const flag = (args: string[], name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

function injectionConfig(objects: K8sObject[]): unknown {
  const configMap = find<K8sObject & { data: Record<string, string> }>(
    objects,
    'ConfigMap',
    objects.find((o) => o.metadata.name.endsWith('-injection'))?.metadata.name,
  );
  return load(configMap.data['config.yaml'] ?? '');
}

/** The grants rollGate.enabled adds to a render with the same other values. */
function gateGrants(values: Record<string, unknown>, major: (typeof HELM_MAJORS)[number]) {
  const without = new Set(grants(render({ major, values: { ...values, ...LIVE } })));
  return grants(render({ major, values: { ...values, ...GATE } })).filter((g) => !without.has(g));
}

// ------------------------------------------------- the controller's requests, as RBAC sees them

interface Attributes {
  verb: string;
  group: string;
  resource: string;
  namespace: string;
  name: string;
}

/** What the API server's authoriser derives from a request (k8s.io/apiserver RequestInfo). */
function attributes(method: string, url: string, watch = false): Attributes {
  const path = url.split('?')[0] ?? '';
  const parts = path.split('/').filter(Boolean);
  const group = parts[0] === 'api' ? '' : (parts[1] ?? '');
  let rest = parts.slice(parts[0] === 'api' ? 2 : 3);
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1] ?? '';
    rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource] = rest;
  const collection = name === '';
  const verb = watch
    ? 'watch'
    : ({ GET: collection ? 'list' : 'get', POST: 'create', PUT: 'update', PATCH: 'patch' }[
        method
      ] ?? `unexpected ${method}`);
  return {
    verb,
    group,
    resource: subresource ? `${resource}/${subresource}` : resource,
    namespace,
    name,
  };
}

const TYPE = 'kafka-warden.io/broker-in-sync';
const gatedPod = (namespace: string, name: string) => ({
  metadata: {
    namespace,
    name,
    uid: `uid-${name}`,
    resourceVersion: '7',
    labels: { 'kafka-warden.io/roll-gate': 'broker-in-sync' },
    ownerReferences: [{ kind: 'StatefulSet', name: 'my-cp-cp-kafka', controller: true }],
  },
  spec: { subdomain: 'my-cp-cp-kafka-headless', readinessGates: [{ conditionType: TYPE }] },
  status: { conditions: [{ type: 'ContainersReady', status: 'True' }] },
});
const inSync: SyncSnapshot = {
  brokers: [0],
  partitions: [{ topic: 't', partition: 0, leader: 0, replicas: [0], isr: [0] }],
  minIsr: new Map([['t', 1]]),
};

/**
 * Runs the roll gate as `serve` would with these flags, through everything it does with the API:
 * watch and list gated pods, fix the governing Service, write a condition, create the Lease, renew
 * it, release it. Returns every request's attributes.
 */
async function controllerRequests(args: string[]): Promise<Attributes[]> {
  const seen: Attributes[] = [];
  const lease = parseLease(flag(args, 'roll-gate-lease'), undefined);
  const namespaces = flag(args, 'roll-gate-namespaces')?.split(',');
  let stored: { metadata: Record<string, unknown>; spec: Record<string, unknown> } | undefined;
  const answer = (method: string, path: string, body: unknown): KubeResponse<unknown> => {
    if (path.includes('/leases')) {
      if (method === 'GET')
        return stored ? { status: 200, body: stored } : { status: 404, body: {} };
      stored = { ...(body as typeof stored & object), metadata: { resourceVersion: '1' } };
      return { status: method === 'POST' ? 201 : 200, body: stored };
    }
    if (path.includes('/services/') && method === 'GET') {
      return { status: 200, body: { spec: { publishNotReadyAddresses: false } } };
    }
    if (method === 'GET') {
      // One gated broker in the namespace listed (a cluster-wide list: in namespace kafka).
      const namespace = /\/namespaces\/([^/]+)\/pods/.exec(path)?.[1] ?? 'kafka';
      return { status: 200, body: { items: [gatedPod(namespace, 'b-0')] } };
    }
    return { status: 200, body: {} };
  };
  const api: KubeApi = {
    server: 'https://recording',
    request<T>(method: string, path: string, body?: unknown) {
      seen.push(attributes(method, path));
      return Promise.resolve(answer(method, path, body) as KubeResponse<T>);
    },
    watch(path, _onEvent, signal) {
      seen.push(attributes('GET', path, true));
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    },
  };
  const logger = pino({ level: 'silent' });
  const elector = new LeaseElector({ api, ...lease, identity: 'replica-a', logger });
  const controller = new RollGateController({
    api,
    kafka: { syncSnapshot: () => Promise.resolve(inSync) },
    logger,
    isLeader: () => true,
    ...(namespaces ? { namespaces } : {}),
    intervalMs: 3_600_000,
  });
  controller.start();
  await controller.reconcile();
  await controller.stop();
  await elector.tick(); // creates the Lease
  await elector.tick(); // renews it
  await elector.stop(); // releases it
  return seen;
}

/** Does a rendered Role or ClusterRole (with its binding) allow this request? */
function allows(objects: K8sObject[], request: Attributes): RoleLike | undefined {
  return [...kinds(objects, 'Role'), ...kinds(objects, 'ClusterRole')].find((role) => {
    if (role.kind === 'Role' && role.metadata.namespace !== request.namespace) return false;
    const bound = [...kinds(objects, 'RoleBinding'), ...kinds(objects, 'ClusterRoleBinding')].some(
      (b) =>
        (b as Binding).roleRef.name === role.metadata.name &&
        (b as Binding).roleRef.kind === role.kind,
    );
    return (
      bound &&
      (role as RoleLike).rules.some(
        (rule) =>
          rule.apiGroups.includes(request.group) &&
          rule.resources.includes(request.resource) &&
          rule.verbs.includes(request.verb) &&
          (!rule.resourceNames || rule.resourceNames.includes(request.name)),
      )
    );
  }) as RoleLike | undefined;
}

/** The grant string (as `grants` writes it) a request uses, for "every grant is used". */
function usedGrants(request: Attributes, namespaced: boolean, lease: string): string[] {
  const where = namespaced || request.resource === 'leases' ? request.namespace : '*';
  const base = `${where}: ${request.group || 'core'}/${request.resource} ${request.verb}`;
  return [base, ...(request.name === lease ? [`${base} [${lease}]`] : [])];
}

describe.each(HELM_MAJORS)('rollGate (Helm %i)', (major) => {
  describe('off by default', () => {
    const objects = render({ major, values: LIVE });
    const container = main(objects);

    it('no --roll-gate flags, no pod identity in the environment', () => {
      expect(container.args.filter((a) => a.startsWith('--roll-gate'))).toEqual([]);
      expect(container.env).toBeUndefined();
    });

    it('no Lease Role, no rights on pods, services or leases', () => {
      expect(objects.filter((o) => o.metadata.name.includes('roll-gate'))).toEqual([]);
      expect(grants(objects).filter((g) => /pods|services|leases/.test(g))).toEqual([]);
    });

    it('the injection configuration does not gate the brokers', () => {
      expect(injectionConfig(objects)).toEqual({});
    });
  });

  describe('on, with live checks', () => {
    const objects = render({
      major,
      values: { ...GATE, rollGate: { enabled: true, intervalSeconds: 7, leaseSeconds: 20 } },
    });
    const container = main(objects);

    it('runs serve --roll-gate with its Lease in the release namespace, named after the release', () => {
      expect(container.args[0]).toBe('serve');
      expect(container.args.filter((a) => a.startsWith('--roll-gate'))).toEqual([
        '--roll-gate',
        '--roll-gate-lease=kafka-warden/kafka-warden-roll-gate',
        '--roll-gate-interval=7',
        '--roll-gate-lease-seconds=20',
      ]);
      // It needs the Kafka client (--kafka-tls-dir) and the API server (no --no-kube).
      expect(flag(container.args, 'kafka-tls-dir')).toBe('/etc/kafka-warden/kafka-client');
      expect(container.args).not.toContain('--no-kube');
      expect(
        find<Deployment>(objects, 'Deployment').spec.template.spec.automountServiceAccountToken,
      ).toBe(true);
      const other = main(render({ major, values: GATE, release: 'gate', namespace: 'platform' }));
      expect(flag(other.args, 'roll-gate-lease')).toBe('platform/gate-kafka-warden-roll-gate');
    });

    it('covers the Kafka namespaces when they are listed', () => {
      const listed = main(render({ major, values: { ...GATE, kafkaNamespaces: ['kafka', 'b'] } }));
      expect(flag(listed.args, 'roll-gate-namespaces')).toBe('kafka,b');
      expect(flag(container.args, 'roll-gate-namespaces')).toBeUndefined();
    });

    it('gives the pod its namespace and name from the downward API (the Lease holder identity)', () => {
      expect(container.env).toEqual([
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ]);
    });

    it('gates the brokers in the embedded injection configuration, keeping the rest of it', () => {
      expect(injectionConfig(objects)).toEqual({ rollGate: { enabled: true } });
      const injection = { tls: { enabled: false }, rollGate: { enabled: false } };
      expect(injectionConfig(render({ major, values: { ...GATE, injection } }))).toEqual({
        tls: { enabled: false },
        rollGate: { enabled: true },
      });
    });
  });

  describe('RBAC', () => {
    it('adds list/watch pods, patch pods/status, get/patch services cluster-wide, and its own Lease', () => {
      expect(gateGrants({}, major)).toEqual([
        '*: core/pods list',
        '*: core/pods watch',
        '*: core/pods/status patch',
        '*: core/services get',
        '*: core/services patch',
        'kafka-warden: coordination.k8s.io/leases create',
        'kafka-warden: coordination.k8s.io/leases get [kafka-warden-roll-gate]',
        'kafka-warden: coordination.k8s.io/leases update [kafka-warden-roll-gate]',
      ]);
    });

    it('with Kafka namespaces: the same in each of them, nothing cluster-wide', () => {
      const values = { kafkaNamespaces: ['kafka', 'b'] };
      const gate = (ns: string) => [
        `${ns}: core/pods list`,
        `${ns}: core/pods watch`,
        `${ns}: core/pods/status patch`,
        `${ns}: core/services get`,
        `${ns}: core/services patch`,
      ];
      expect(gateGrants(values, major)).toEqual(
        [
          ...gate('kafka'),
          ...gate('b'),
          'kafka-warden: coordination.k8s.io/leases create',
          'kafka-warden: coordination.k8s.io/leases get [kafka-warden-roll-gate]',
          'kafka-warden: coordination.k8s.io/leases update [kafka-warden-roll-gate]',
        ].sort(),
      );
      expect(kinds(render({ major, values: { ...values, ...GATE } }), 'ClusterRole')).toEqual([]);
    });

    it('binds the Lease Role to the chart ServiceAccount', () => {
      const objects = render({ major, values: GATE });
      expect(find<Binding>(objects, 'RoleBinding', 'kafka-warden-roll-gate-lease')).toMatchObject({
        metadata: { namespace: 'kafka-warden' },
        roleRef: { kind: 'Role', name: 'kafka-warden-roll-gate-lease' },
        subjects: [{ kind: 'ServiceAccount', name: 'kafka-warden', namespace: 'kafka-warden' }],
      });
    });

    it('nothing with rbac.create false', () => {
      const objects = render({ major, values: { ...GATE, rbac: { create: false } } });
      expect([...kinds(objects, 'Role'), ...kinds(objects, 'ClusterRole')]).toEqual([]);
    });

    it.each([
      ['cluster-wide', {}],
      ['in the Kafka namespaces', { kafkaNamespaces: ['kafka', 'b'] }],
    ])(
      '%s: every request the controller and its Lease make is allowed, and every grant the gate adds is used',
      async (_where, values: Record<string, unknown>) => {
        const objects = render({ major, values: { ...values, ...GATE } });
        const args = main(objects).args;
        const requests = await controllerRequests(args);
        // Sanity: the run went through every kind of call, or "all allowed" would say little.
        expect(new Set(requests.map((r) => `${r.resource} ${r.verb}`))).toEqual(
          new Set([
            'pods watch',
            'pods list',
            'pods/status patch',
            'services get',
            'services patch',
            'leases get',
            'leases create',
            'leases update',
          ]),
        );
        const denied = requests.filter((r) => !allows(objects, r));
        expect(denied).toEqual([]);
        const lease = parseLease(flag(args, 'roll-gate-lease'), undefined).name;
        const namespaced = 'kafkaNamespaces' in values;
        const used = new Set(requests.flatMap((r) => usedGrants(r, namespaced, lease)));
        expect(gateGrants(values, major).filter((g) => !used.has(g))).toEqual([]);
      },
    );
  });

  describe('refuses', () => {
    it('rollGate.enabled without liveChecks.enabled (no Kafka client to judge brokers with)', () => {
      const run = templateRun({ major, values: { rollGate: { enabled: true } } });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('rollGate.enabled needs liveChecks.enabled');
    });

    it('injection.rollGate.enabled without rollGate.enabled (gated brokers nobody marks Ready)', () => {
      const run = templateRun({
        major,
        values: { ...LIVE, injection: { rollGate: { enabled: true } } },
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(
        "injection.rollGate.enabled gates the brokers' readiness, but rollGate.enabled is false",
      );
      const off = templateRun({ major, values: { injection: { rollGate: { enabled: false } } } });
      expect(off.status).toBe(0);
    });
  });
});
