/**
 * Where the broker-scaling rule finds a reassignment plan kept in a ConfigMap. The webhook server
 * implements this with the Kubernetes API (src/kube); `check` and the post-renderer with the
 * ConfigMaps of the release they read (`configMapPlanSource`).
 */
import type { KubeObject } from '../core/k8s-types';
import { isRecord } from '../core/k8s-types';

export interface PlanSource {
  /**
   * The `data` of ConfigMap `namespace/name`, or undefined when there is no such ConfigMap.
   * Rejects on an I/O failure; the rule then denies and names the failure.
   */
  readConfigMap(
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<Readonly<Record<string, string>> | undefined>;
}

/** The key of the plan in the ConfigMap named by kafka-warden.io/reassignment-plan-configmap. */
export const PLAN_CONFIGMAP_KEY = 'plan.json';

/** A PlanSource over the ConfigMaps among a set of manifests (objects without a namespace are in `defaultNamespace`). */
export function configMapPlanSource(
  objects: readonly KubeObject[],
  defaultNamespace: string,
): PlanSource {
  const found = new Map<string, Record<string, string>>();
  for (const object of objects) {
    if (object.kind !== 'ConfigMap' || !object.metadata?.name) continue;
    const data = isRecord(object.data) ? object.data : {};
    const strings: Record<string, string> = {};
    for (const [key, value] of Object.entries(data)) {
      if (typeof value === 'string') strings[key] = value;
    }
    found.set(`${object.metadata.namespace ?? defaultNamespace}/${object.metadata.name}`, strings);
  }
  return {
    readConfigMap: (namespace, name) => Promise.resolve(found.get(`${namespace}/${name}`)),
  };
}

/** For callers with no way to look ConfigMaps up: every lookup finds nothing. */
export const NO_PLAN_SOURCE: PlanSource = {
  readConfigMap: () => Promise.resolve(undefined),
};
