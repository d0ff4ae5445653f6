/**
 * Builders for policy tests: small StatefulSets shaped like cp-helm-charts' (detected by container
 * name, as the chart renders them), requests, and the real renders from ../shared.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EnvVar, KubeObject, StatefulSetSpec } from '../../../src/core/k8s-types';
import { evaluate, type EngineOptions } from '../../../src/policy/engine';
import { parseManifests } from '../../../src/policy/parse-manifests';
import type { Finding, Operation, PolicyRequest, Verdict } from '../../../src/policy/types';
import { sharedDir } from '../../support/paths';

export interface WorkloadShape {
  name?: string;
  image?: string;
  replicas?: number;
  env?: Record<string, string>;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  spec?: Partial<StatefulSetSpec>;
}

export function kafka(shape: WorkloadShape = {}): KubeObject {
  return statefulSet('cp-kafka', 'cp-kafka-broker', {
    image: 'confluentinc/cp-enterprise-kafka:6.1.0',
    env: { KAFKA_ZOOKEEPER_CONNECT: 'zk:2181', KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3' },
    ...shape,
  });
}

export function zookeeper(shape: WorkloadShape = {}): KubeObject {
  return statefulSet('cp-zookeeper', 'cp-zookeeper-server', {
    image: 'confluentinc/cp-zookeeper:6.1.0',
    ...shape,
  });
}

function statefulSet(app: string, container: string, shape: WorkloadShape): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: shape.name ?? `my-cp-${app}`,
      labels: { app, ...shape.labels },
      ...(shape.annotations ? { annotations: shape.annotations } : {}),
    },
    spec: {
      replicas: shape.replicas ?? 3,
      serviceName: `my-cp-${app}-headless`,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      ...shape.spec,
      template: {
        metadata: { labels: { app } },
        spec: {
          containers: [
            {
              name: container,
              image: shape.image ?? '',
              env: Object.entries(shape.env ?? {}).map(([name, value]) => ({ name, value })),
            },
          ],
        },
      },
    },
  };
}

/** A deep copy whose main (first) container is renamed or runs another image. */
export function withContainer(
  object: KubeObject,
  change: { name?: string; image?: string },
): KubeObject {
  const copy = structuredClone(object);
  const container = (copy.spec as StatefulSetSpec).template?.spec?.containers[0];
  if (!container) throw new Error('no container to change');
  Object.assign(container, change);
  return copy;
}

export function create(object: KubeObject, namespace = 'kafka'): PolicyRequest {
  return { operation: 'CREATE', object, namespace };
}

export function update(
  oldObject: KubeObject,
  object: KubeObject,
  namespace = 'kafka',
): PolicyRequest {
  return { operation: 'UPDATE', object, oldObject, namespace };
}

export function remove(oldObject: KubeObject, namespace = 'kafka'): PolicyRequest {
  return { operation: 'DELETE', object: null, oldObject, namespace };
}

export function request(
  operation: Operation,
  before: KubeObject,
  after: KubeObject,
): PolicyRequest {
  if (operation === 'CREATE') return create(after);
  if (operation === 'DELETE') return remove(before);
  return update(before, after);
}

/** The findings of one rule (passes and skips included). */
export async function findingsOf(
  rule: string,
  req: PolicyRequest,
  options: EngineOptions = {},
): Promise<Finding[]> {
  const verdict = await evaluate(req, options);
  return verdict.findings.filter((f) => f.rule === rule);
}

/** The one finding of a rule that yields exactly one for this request. */
export async function findingOf(
  rule: string,
  req: PolicyRequest,
  options: EngineOptions = {},
): Promise<Finding> {
  const found = await findingsOf(rule, req, options);
  if (found.length !== 1) throw new Error(`expected one ${rule} finding, got ${found.length}`);
  return found[0] as Finding;
}

export function deniedBy(verdict: Verdict): string[] {
  return verdict.denials.map((f) => (f.check ? `${f.rule}/${f.check}` : f.rule));
}

/** A real cp-helm-charts render from ../shared, as objects. */
export function render(version: string, valueSet: string): KubeObject[] {
  const file = path.join(sharedDir(), 'cp-helm-charts', 'rendered', version, `${valueSet}.yaml`);
  return parseManifests(readFileSync(file, 'utf8'), file).map((s) => s.object);
}

export function renderPath(version: string, valueSet: string): string {
  return path.join(sharedDir(), 'cp-helm-charts', 'rendered', version, `${valueSet}.yaml`);
}

/** The StatefulSet whose main container has this name. */
export function statefulSetWith(objects: KubeObject[], container: string): KubeObject {
  const found = objects.find(
    (o) => o.kind === 'StatefulSet' && containers(o).some((c) => c.name === container),
  );
  if (!found) throw new Error(`no StatefulSet with container ${container}`);
  return found;
}

/** A deep copy of a release with env entries added to (or replaced in) the broker container. */
export function withBrokerEnv(objects: KubeObject[], env: Record<string, string>): KubeObject[] {
  const copy = structuredClone(objects);
  const broker = containers(statefulSetWith(copy, 'cp-kafka-broker')).find(
    (c) => c.name === 'cp-kafka-broker',
  ) as { env?: EnvVar[] };
  const kept = (broker.env ?? []).filter((e) => !(e.name in env));
  broker.env = [...kept, ...Object.entries(env).map(([name, value]) => ({ name, value }))];
  return copy;
}

/** A deep copy of a release whose broker container is renamed or runs another image. */
export function withBrokerContainer(
  objects: KubeObject[],
  change: { name?: string; image?: string },
): KubeObject[] {
  const copy = structuredClone(objects);
  const broker = containers(statefulSetWith(copy, 'cp-kafka-broker')).find(
    (c) => c.name === 'cp-kafka-broker',
  );
  Object.assign(broker ?? {}, change);
  return copy;
}

/** A deep copy of a release with annotations added to the StatefulSet with this container. */
export function withAnnotations(
  objects: KubeObject[],
  container: string,
  annotations: Record<string, string>,
): KubeObject[] {
  const copy = structuredClone(objects);
  const target = statefulSetWith(copy, container);
  target.metadata = {
    ...target.metadata,
    annotations: { ...target.metadata?.annotations, ...annotations },
  };
  return copy;
}

function containers(object: KubeObject): { name: string; image?: string; env?: EnvVar[] | null }[] {
  return (object.spec as StatefulSetSpec).template?.spec?.containers ?? [];
}
