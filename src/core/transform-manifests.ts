/**
 * The manifest-level transformation behind the post-renderer: it sees a whole release, so besides
 * injecting into pod templates it adds what only exists at that level (broker PodDisruptionBudgets,
 * per-broker external Services, TLS ports on the Kafka Services) and upgrades ZooKeeper's
 * policy/v1beta1 PodDisruptionBudget. Pure: objects in, objects out.
 */
import type { WardenConfig } from './config';
import { brokerContextOf } from './broker-context';
import { detectWorkload, labelsMatch } from './detect';
import { WardenError } from './errors';
import { injectPodTemplate, type PodInjectionContext } from './inject-pod';
import { readServiceStatus, writeServiceStatus, type ServiceStatus } from './injection-status';
import { podNotices, type Notice } from './notices';
import type {
  KubeObject,
  LabelSelector,
  PodTemplate,
  ServiceSpec,
  StatefulSetSpec,
} from './k8s-types';
import { isRecord, POD_NAME_LABEL, WORKLOAD_KINDS } from './k8s-types';
import type { BrokerContext } from './listeners';
import { planListeners } from './listeners';
import { checkObjectShape } from './object-shape';

export const HELM4_FILENAME_ANNOTATION = 'postrenderer.helm.sh/postrender-filename';
export const GENERATED_LABEL = 'kafka-warden.io/generated';

export interface AddedObject {
  object: KubeObject;
  /** Index of the input object the new one belongs after (its StatefulSet). */
  after: number;
}

export interface ManifestTransformResult {
  /** The input objects, transformed in place. */
  objects: (KubeObject | undefined)[];
  added: AddedObject[];
  /** What was left alone that the user probably expected changed, with the setting that does it. */
  notices: Notice[];
}

interface KafkaCluster {
  index: number;
  statefulSet: KubeObject;
  spec: StatefulSetSpec;
  context: BrokerContext;
}

export function isHelmHook(object: KubeObject): boolean {
  return object.metadata?.annotations?.['helm.sh/hook'] !== undefined;
}

/**
 * Transforms a release's objects in place. `undefined` entries are documents the caller did not
 * parse because they cannot matter; they keep their place.
 */
export function transformManifests(
  objects: (KubeObject | undefined)[],
  config: WardenConfig,
): ManifestTransformResult {
  // Before anything reads them: the code below relies on the Kubernetes types of these fields.
  objects.forEach((object, index) => {
    if (object && !isHelmHook(object)) checkObjectShape(object, describe(object, index));
  });
  const clusters = findKafkaClusters(objects, config);
  const hostToCluster = new Map<string, string>();
  for (const cluster of clusters) {
    hostToCluster.set(cluster.context.headlessService, cluster.context.cluster);
    for (const service of objects) {
      if (service && isClientService(service, cluster)) {
        hostToCluster.set(service.metadata?.name ?? '', cluster.context.cluster);
      }
    }
  }
  const lookup = (host: string) => hostToCluster.get(host.split('.')[0] ?? host);
  const headlessServices = governingServices(objects, config);
  const notices: Notice[] = [];

  objects.forEach((object, index) => {
    if (!object || isHelmHook(object)) return;
    const where = describe(object, index);
    if (object.kind === 'PodDisruptionBudget') {
      if (config.disruptionBudgets.upgradeApiVersion) upgradePdb(object, where);
      return;
    }
    if (object.kind === 'Service') {
      const name = object.metadata?.name;
      const namespace = object.metadata?.namespace;
      const kafkaService = clusters.some((c) => isClientService(object, c));
      const headless =
        typeof name === 'string' &&
        headlessServices.some((h) => h.name === name && h.namespace === namespace);
      if (kafkaService || clusters.some((c) => name === c.context.headlessService)) {
        reconcileServicePorts(object, config, headless);
      } else if (headless) {
        reconcileServicePorts(object, config, headless, false);
      }
      return;
    }
    const template = podTemplateOf(object);
    if (!template) return;
    const ctx: PodInjectionContext = { where, clusters: lookup };
    const cluster = clusters.find((c) => c.index === index);
    if (cluster) ctx.broker = cluster.context;
    else if (object.kind === 'Pod') ctx.broker = brokerContextOf(object);
    notices.push(...podNotices(template, ctx, config));
    injectPodTemplate(template, ctx, config);
  });

  const added: AddedObject[] = [];
  for (const cluster of clusters) {
    for (const object of clusterResources(cluster, objects, config)) {
      added.push({ object, after: cluster.index });
    }
  }
  return { objects, added, notices };
}

function findKafkaClusters(
  objects: (KubeObject | undefined)[],
  config: WardenConfig,
): KafkaCluster[] {
  const clusters: KafkaCluster[] = [];
  objects.forEach((object, index) => {
    if (!object || object.kind !== 'StatefulSet' || isHelmHook(object)) return;
    const spec = object.spec as StatefulSetSpec | undefined;
    const detected = detectWorkload(spec?.template?.metadata, spec?.template?.spec, config);
    if (!spec || detected?.role !== 'kafka') return;
    clusters.push({
      index,
      statefulSet: object,
      spec,
      context: brokerContextOf(object),
    });
  });
  return clusters;
}

/** `StatefulSet my-cp-cp-kafka` for messages; by position when kind or name is not a string. */
function describe(object: KubeObject, index: number): string {
  const kind = typeof object.kind === 'string' ? object.kind : 'object';
  const name = object.metadata?.name;
  return `${kind} ${typeof name === 'string' ? name : `#${index + 1}`}`;
}

function podTemplateOf(object: KubeObject): PodTemplate | undefined {
  if (object.kind === 'Pod') return object as PodTemplate;
  if (!object.kind || !WORKLOAD_KINDS.has(object.kind) || !isRecord(object.spec)) return undefined;
  const template = object.spec.template;
  return isRecord(template) ? template : undefined;
}

function upgradePdb(object: KubeObject, where: string): void {
  if (object.apiVersion !== 'policy/v1beta1') return;
  const selector = isRecord(object.spec)
    ? (object.spec.selector as LabelSelector | undefined)
    : undefined;
  const empty =
    !selector ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 &&
      (selector.matchExpressions ?? []).length === 0);
  if (empty) {
    // policy/v1beta1 reads an empty selector as "no pods", policy/v1 as "every pod in the namespace".
    throw new WardenError(
      'KW_PDB_SELECTOR',
      `${where}: a policy/v1beta1 PodDisruptionBudget with an empty selector would select every pod in its namespace as policy/v1; give it a selector`,
    );
  }
  object.apiVersion = 'policy/v1';
}

/** A Service that load-balances over the brokers (not a per-broker one, not the headless one). */
function isClientService(object: KubeObject, cluster: KafkaCluster): boolean {
  if (object.kind !== 'Service' || isHelmHook(object)) return false;
  const spec = object.spec as ServiceSpec | undefined;
  if (!spec?.selector || spec.clusterIP === 'None' || spec.selector[POD_NAME_LABEL]) return false;
  if (object.metadata?.name === cluster.context.headlessService) return false;
  return labelsMatch(cluster.spec.template?.metadata?.labels, spec.selector);
}

/**
 * The governing (headless) Services of the Kafka and ZooKeeper StatefulSets, by name and namespace.
 * A restarted broker or ZooKeeper member must be reachable by its pod name before it is Ready:
 * the Kafka controller sends a restarted broker its leadership and replica assignments over that
 * name, and ZooKeeper members connect back to a rejoining member by it. Without
 * `publishNotReadyAddresses` the name exists only once the pod is Ready, which a readiness that
 * means "caught up" or "serving in the ensemble" would then never reach.
 */
function governingServices(
  objects: (KubeObject | undefined)[],
  config: WardenConfig,
): { name: string; namespace: string | undefined }[] {
  const found: { name: string; namespace: string | undefined }[] = [];
  for (const object of objects) {
    if (!object || object.kind !== 'StatefulSet' || isHelmHook(object)) continue;
    const spec = isRecord(object.spec) ? (object.spec as StatefulSetSpec) : undefined;
    if (!spec || !detectWorkload(spec.template?.metadata, spec.template?.spec, config)) continue;
    if (typeof spec.serviceName !== 'string') continue;
    found.push({ name: spec.serviceName, namespace: object.metadata?.namespace });
  }
  return found;
}

/**
 * Kafka Services get the TLS port, and lose the PLAINTEXT port when PLAINTEXT is dropped; governing
 * Services (`headless`) publish not-ready addresses while probes are on. What was added, removed or
 * set is recorded on the Service so a later configuration undoes it first.
 */
function reconcileServicePorts(
  service: KubeObject,
  config: WardenConfig,
  headless: boolean,
  kafkaPorts = true,
): void {
  const spec = service.spec as ServiceSpec | undefined;
  if (!spec) return;
  const meta = (service.metadata ??= {});
  const previous = readServiceStatus(meta);
  let ports = (spec.ports ?? []).filter((p) => !previous.addedPorts.includes(p.name ?? ''));
  for (const { at, port } of previous.removedPorts) {
    if (!ports.some((p) => p.port === port.port)) ports.splice(at, 0, port);
  }
  if (previous.publishedNotReady) delete spec.publishNotReadyAddresses;
  const status: ServiceStatus = { addedPorts: [], removedPorts: [] };
  if (headless && config.probes.enabled && spec.publishNotReadyAddresses !== true) {
    spec.publishNotReadyAddresses = true;
    status.publishedNotReady = true;
  }
  if (config.tls.enabled && kafkaPorts) {
    if (!ports.some((p) => p.port === config.tls.port)) {
      ports.push({ name: 'broker-tls', port: config.tls.port, targetPort: config.tls.port });
      status.addedPorts.push('broker-tls');
    }
    if (!config.tls.keepPlaintext) {
      status.removedPorts = ports.flatMap((port, at) =>
        port.port === config.listeners.plaintextPort ? [{ at, port }] : [],
      );
      ports = ports.filter((p) => p.port !== config.listeners.plaintextPort);
    }
  }
  spec.ports = ports;
  writeServiceStatus(meta, status);
}

function clusterResources(
  cluster: KafkaCluster,
  objects: (KubeObject | undefined)[],
  config: WardenConfig,
): KubeObject[] {
  const sts = cluster.statefulSet;
  const name = cluster.context.cluster;
  const labels = { ...(sts.metadata?.labels ?? {}), [GENERATED_LABEL]: 'true' };
  const filename = sts.metadata?.annotations?.[HELM4_FILENAME_ANNOTATION];
  const annotations = filename ? { [HELM4_FILENAME_ANNOTATION]: filename } : undefined;
  const metadata = (objectName: string, extraLabels: Record<string, string> = {}) => ({
    name: objectName,
    ...(sts.metadata?.namespace ? { namespace: sts.metadata.namespace } : {}),
    labels: { ...labels, ...extraLabels },
    ...(annotations ? { annotations: { ...annotations } } : {}),
  });
  const present = (kind: string, objectName: string) =>
    objects.some((o) => o?.kind === kind && o.metadata?.name === objectName);
  const result: KubeObject[] = [];

  const selector =
    cluster.spec.selector?.matchLabels ?? cluster.spec.template?.metadata?.labels ?? {};
  const hasBudget = objects.some((o) => {
    if (o?.kind !== 'PodDisruptionBudget' || !isRecord(o.spec)) return false;
    // A render may write `matchLabels:` with nothing after it (null): that selects nothing here.
    const budgetLabels: unknown = (o.spec.selector as LabelSelector | undefined)?.matchLabels;
    return isRecord(budgetLabels) && labelsMatch(selector, budgetLabels as Record<string, string>);
  });
  if (config.disruptionBudgets.kafka && !hasBudget) {
    result.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: metadata(`${name}-pdb`),
      spec: { selector: { matchLabels: { ...selector } }, maxUnavailable: 1 },
    });
  }

  const plan = planListeners(cluster.context, config);
  const mode = config.listeners.external.mode;
  for (let broker = 0; broker < cluster.context.replicas && mode !== 'none'; broker++) {
    const podName = `${name}-${broker}`;
    const podSelector = { ...selector, [POD_NAME_LABEL]: podName };
    if (mode === 'nodeport') {
      const nodePort = (plan.firstNodePort ?? 0) + broker;
      const chartService = objects.some((o) => {
        const spec = o?.kind === 'Service' ? (o.spec as ServiceSpec | undefined) : undefined;
        return spec?.type === 'NodePort' && spec.selector?.[POD_NAME_LABEL] === podName;
      });
      if (chartService || present('Service', `${podName}-nodeport`)) continue;
      result.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: metadata(`${podName}-nodeport`, { pod: podName }),
        spec: {
          type: 'NodePort',
          ports: [
            {
              name: 'external-broker',
              port: nodePort,
              targetPort: nodePort,
              nodePort,
              protocol: 'TCP',
            },
          ],
          selector: podSelector,
        },
      });
    } else {
      const serviceName = `${podName}-external`;
      if (present('Service', serviceName)) continue;
      const port = config.listeners.external.port;
      result.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: metadata(serviceName, { pod: podName }),
        spec: {
          type: mode === 'loadbalancer' ? 'LoadBalancer' : 'ClusterIP',
          ports: [{ name: 'external-broker', port, targetPort: port, protocol: 'TCP' }],
          selector: podSelector,
        },
      });
    }
  }
  return result;
}
