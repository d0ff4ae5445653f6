/**
 * The one builder of a broker's cluster context, for both doors: the post-renderer sees the broker
 * StatefulSet, the webhook a StatefulSet (`--mutate-statefulsets`) or a Pod the controller made from
 * it. Built in one place so that what the context carries (notably the chart's first NodePort, read
 * from the rendered `nodeport-0` container port) is the same whichever door reads it.
 */
import { WardenError } from './errors';
import type { Container, KubeObject, StatefulSetSpec } from './k8s-types';
import { isRecord } from './k8s-types';
import type { BrokerContext } from './listeners';
import { isBrokerCount, MAX_BROKERS, quoteInput } from './limits';

/** The chart renders one `nodeport-N` container port per broker when its `nodeport.enabled` is on. */
export function chartFirstListenerPort(containers: readonly Container[]): number | null {
  const ports: unknown[] = containers.flatMap((c) => (Array.isArray(c.ports) ? c.ports : []));
  const port = ports.find((p) => isRecord(p) && p.name === 'nodeport-0') as
    { containerPort?: unknown } | undefined;
  return typeof port?.containerPort === 'number' ? port.containerPort : null;
}

/**
 * A broker's context from the object either door sees: a StatefulSet (the post-renderer, and the
 * webhook with `--mutate-statefulsets`) or a Pod (the webhook; a bare Pod in a render).
 */
export function brokerContextOf(object: KubeObject): BrokerContext {
  return object.kind === 'StatefulSet'
    ? brokerContextForStatefulSet(object)
    : brokerContextForPod(object);
}

/** The context of a broker StatefulSet; its replica count is bounded before any per-broker work. */
function brokerContextForStatefulSet(statefulSet: KubeObject): BrokerContext {
  const name = statefulSet.metadata?.name ?? 'kafka';
  const spec = (isRecord(statefulSet.spec) ? statefulSet.spec : {}) as StatefulSetSpec;
  // Typed as a number, read from a render or a request: anything at all.
  const replicas: unknown = spec.replicas ?? 1;
  if (!isBrokerCount(replicas)) {
    throw new WardenError(
      'KW_BROKER_COUNT',
      `StatefulSet ${name}: spec.replicas ${quoteInput(replicas)} is not a whole number from 0 to ${MAX_BROKERS}; kafka-warden builds per-broker Services and certificate names and bounds that work before it starts`,
    );
  }
  return {
    cluster: name,
    headlessService: spec.serviceName ?? `${name}-headless`,
    replicas,
    chartFirstListenerPort: chartFirstListenerPort(containersOf(spec.template?.spec)),
  };
}

/** The pod's cluster identity, as the StatefulSet controller leaves it on every pod it creates. */
function brokerContextForPod(pod: KubeObject): BrokerContext {
  const meta = pod.metadata ?? {};
  // Typed, but a webhook client may send anything: a type that does not fit counts as absent.
  const owners: unknown = meta.ownerReferences;
  const ownerName = Array.isArray(owners)
    ? (
        owners.find((o) => isRecord(o) && o.kind === 'StatefulSet') as
          { name?: unknown } | undefined
      )?.name
    : undefined;
  const owner = typeof ownerName === 'string' ? ownerName : undefined;
  const generateName = typeof meta.generateName === 'string' ? meta.generateName : '';
  const fromName = (typeof meta.name === 'string' ? meta.name : generateName).replace(/-\d*$/, '');
  const cluster = owner ?? fromName;
  const spec = isRecord(pod.spec) ? pod.spec : {};
  return {
    cluster,
    headlessService: typeof spec.subdomain === 'string' ? spec.subdomain : `${cluster}-headless`,
    // A pod does not know its StatefulSet's size; nothing a pod carries depends on it.
    replicas: 1,
    chartFirstListenerPort: chartFirstListenerPort(containersOf(spec)),
  };
}

function containersOf(spec: unknown): Container[] {
  if (!isRecord(spec) || !Array.isArray(spec.containers)) return [];
  return (spec.containers as unknown[]).filter(isRecord) as Container[];
}
