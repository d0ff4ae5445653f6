/**
 * Reads the StatefulSet a `statefulsets/scale` request is about (src/admission/scale.ts), through
 * the API server with the webhook's service account (RBAC: `get` on apps/statefulsets). Plain JSON
 * requests (kube-client.ts), so the policy engine reads the object exactly as admission sends it.
 */
import type { StatefulSetSource } from '../admission/scale';
import type { KubeObject } from '../core/k8s-types';
import { abortable } from './abortable';
import { statusMessage, type KubeApi } from './kube-api';

export function kubeStatefulSetSource(api: KubeApi): StatefulSetSource {
  return {
    async readStatefulSet(namespace, name, signal) {
      const path = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/statefulsets/${encodeURIComponent(name)}`;
      const response = await abortable(
        api.request<KubeObject>('GET', path),
        signal,
        'StatefulSet read',
      );
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw new Error(statusMessage(response));
      return response.body;
    },
  };
}
