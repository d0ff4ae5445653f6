import type { KubeObject, PodTemplate, StatefulSetSpec } from '../../src/core/k8s-types';

/** The Pod the StatefulSet controller creates for `ordinal`, as far as admission sees it. */
export function podFromStatefulSet(
  sts: KubeObject,
  ordinal: number,
  namespace = 'default',
): KubeObject {
  const spec = sts.spec as StatefulSetSpec;
  const template = structuredClone(spec.template) as PodTemplate;
  const name = `${sts.metadata?.name}-${ordinal}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...template.metadata,
      name,
      namespace,
      labels: {
        ...template.metadata?.labels,
        'statefulset.kubernetes.io/pod-name': name,
        'apps.kubernetes.io/pod-index': String(ordinal),
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          name: sts.metadata?.name ?? '',
          uid: 'uid-1',
        },
      ],
    },
    spec: { ...template.spec, hostname: name, subdomain: spec.serviceName },
  };
}

export function admissionReview(
  object: KubeObject | undefined,
  options: {
    operation?: string;
    oldObject?: KubeObject;
    uid?: string;
    apiVersion?: string;
    dryRun?: boolean;
  } = {},
) {
  const kind = object?.kind ?? options.oldObject?.kind ?? 'Pod';
  const group = kind === 'Pod' ? '' : 'apps';
  return {
    apiVersion: options.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: options.uid ?? 'e911857d-c318-11e8-bbad-025000000001',
      kind: { group, version: 'v1', kind },
      resource: { group, version: 'v1', resource: `${kind.toLowerCase()}s` },
      name: object?.metadata?.name ?? options.oldObject?.metadata?.name,
      namespace: object?.metadata?.namespace ?? 'default',
      operation: options.operation ?? 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:statefulset-controller' },
      object: object ?? null,
      oldObject: options.oldObject ?? null,
      dryRun: options.dryRun ?? false,
    },
  };
}
