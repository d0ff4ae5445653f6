/**
 * A whole release against the policy: every Kafka and ZooKeeper StatefulSet in `objects`, paired by
 * kind, namespace and name with `previousObjects` when given (in both: UPDATE; only in the new set:
 * CREATE; only in the previous: DELETE). The one path shared by `kafka-warden check` and
 * `render --policy --previous`; ConfigMaps of the new release serve as the plan source by default.
 */
import { DEFAULT_CONFIG } from '../core/config';
import { WardenError } from '../core/errors';
import type { KubeObject } from '../core/k8s-types';
import type { ClusterStateProbe } from './cluster-state';
import { evaluate, selectWorkloads } from './engine';
import { configMapPlanSource, type PlanSource } from './plan-source';
import type { Policy } from './policy';
import type { Operation, PolicyRequest, UserInfo, Verdict } from './types';
import type { Detection } from './workload';

export interface ReleaseInput {
  objects: readonly KubeObject[];
  /** The release as it is now; without it every workload is judged as a CREATE. */
  previousObjects?: readonly KubeObject[];
  policy?: Policy;
  /** Default: the ConfigMaps among `objects`. */
  planSource?: PlanSource;
  clusterState?: ClusterStateProbe;
  detection?: Detection;
  /** The namespace of objects that name none (Helm's release namespace). Default "default". */
  namespace?: string;
  userInfo?: UserInfo;
  /** Names where an object came from, for error messages (e.g. file and document). */
  origin?: (object: KubeObject) => string | undefined;
}

export interface ObjectVerdict {
  kind: string;
  namespace: string;
  name: string;
  operation: Operation;
  verdict: Verdict;
}

export async function evaluateRelease(input: ReleaseInput): Promise<ObjectVerdict[]> {
  const namespace = input.namespace ?? 'default';
  const current = index(input.objects, namespace, input.origin);
  const previous = index(input.previousObjects ?? [], namespace, input.origin);
  const planSource = input.planSource ?? configMapPlanSource(input.objects, namespace);
  const requests: { key: Key; request: PolicyRequest }[] = [];
  for (const [id, key] of current) {
    const before = previous.get(id);
    requests.push({
      key,
      request: {
        operation: before ? 'UPDATE' : 'CREATE',
        object: key.object,
        ...(before ? { oldObject: before.object } : {}),
        namespace: key.namespace,
        ...(input.userInfo ? { userInfo: input.userInfo } : {}),
      },
    });
  }
  if (input.previousObjects) {
    for (const [id, key] of previous) {
      if (current.has(id)) continue;
      requests.push({
        key,
        request: { operation: 'DELETE', oldObject: key.object, namespace: key.namespace },
      });
    }
  }
  const detection = input.detection ?? DEFAULT_CONFIG.detection;
  const relevant = requests.filter(({ request }) => selectWorkloads(request, detection));
  return Promise.all(
    relevant.map(async ({ key, request }) => ({
      kind: key.kind,
      namespace: key.namespace,
      name: key.name,
      operation: request.operation,
      verdict: await evaluate(request, {
        ...(input.policy ? { policy: input.policy } : {}),
        planSource,
        ...(input.clusterState ? { clusterState: input.clusterState } : {}),
        detection,
      }),
    })),
  );
}

interface Key {
  kind: string;
  namespace: string;
  name: string;
  object: KubeObject;
}

/** StatefulSets by kind/namespace/name; the same one twice makes pairing ambiguous. */
function index(
  objects: readonly KubeObject[],
  namespace: string,
  origin: ReleaseInput['origin'],
): Map<string, Key> {
  const found = new Map<string, Key>();
  for (const object of objects) {
    if (object.kind !== 'StatefulSet') continue;
    const key: Key = {
      kind: object.kind,
      namespace: object.metadata?.namespace ?? namespace,
      name: object.metadata?.name ?? '',
      object,
    };
    const id = `${key.kind}/${key.namespace}/${key.name}`;
    const earlier = found.get(id);
    if (earlier) {
      const where = [origin?.(earlier.object), origin?.(object)].filter(Boolean).join(' and ');
      throw new WardenError(
        'KW_INPUT_DUPLICATE',
        `${key.kind} ${key.namespace}/${key.name} appears twice${where ? ` (${where})` : ''}: pass each object once`,
      );
    }
    found.set(id, key);
  }
  return found;
}
