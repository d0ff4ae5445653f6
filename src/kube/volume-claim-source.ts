/**
 * Lists the PersistentVolumeClaims of a namespace, for broker-scaling's look at a StatefulSet
 * created again with fewer brokers (src/policy/volume-claims.ts), through the API server with the
 * webhook's service account (RBAC: `list` on persistentvolumeclaims). Only the names are kept. One
 * request, no `limit`: the API server then answers with every claim at once, and a namespace holds
 * few enough that paging would only add round trips to an admission request.
 */
import type { VolumeClaimSource } from '../policy/volume-claims';
import { abortable } from './abortable';
import { statusMessage, type KubeApi } from './kube-api';

interface ClaimList {
  items?: { metadata?: { name?: unknown } }[];
}

export function kubeVolumeClaimSource(api: KubeApi): VolumeClaimSource {
  return {
    async listClaimNames(namespace, signal) {
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/persistentvolumeclaims`;
      const response = await abortable(
        api.request<ClaimList>('GET', path),
        signal,
        'PersistentVolumeClaim list',
      );
      if (response.status !== 200) throw new Error(statusMessage(response));
      const names: string[] = [];
      for (const claim of response.body.items ?? []) {
        const name = claim.metadata?.name;
        if (typeof name === 'string') names.push(name);
      }
      return names;
    },
  };
}
