/**
 * The only importer of @kubernetes/client-node. The client is ESM-only since 1.x and large, so it is
 * loaded on first use, only by `kafka-warden serve`, and left out of the bundle (see
 * scripts/build.mjs): the post-renderer and `check` never load it. It is loaded with require(),
 * which loads ES modules synchronously on Node ≥ 20.19, because a dynamic import() inside the
 * vm.Script that bin/run-bundle.js runs the bundle in needs --experimental-vm-modules. Jest cannot
 * load it, so this module is exercised through the built CLI against a real API server
 * (test/e2e/cluster/plan-configmap.test.ts).
 */
import type { PlanSource } from '../policy/plan-source';
import { abortable, isNotFound } from './abortable';

export interface KubePlanSourceOptions {
  /** A kubeconfig file; otherwise the in-cluster service account, then $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
}

export function kubePlanSource(options: KubePlanSourceOptions = {}): PlanSource {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see the module comment
  const k8s = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  const core = config.makeApiClient(k8s.CoreV1Api);
  return {
    async readConfigMap(namespace, name, signal) {
      try {
        const request = core.readNamespacedConfigMap({ name, namespace });
        const configMap = await abortable(request, signal, 'ConfigMap read');
        return configMap.data ?? {};
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
  };
}
