/**
 * Which Secrets a broker StatefulSet needs, and what their certificates must say: pure, from the
 * StatefulSet as the API server stores it and the injection configuration (the same Secret names
 * the post-renderer and the mutating webhook mount).
 */
import { secretNameFor, type WardenConfig } from '../core/config';
import { detectWorkload } from '../core/detect';
import type { KubeObject, StatefulSetSpec } from '../core/k8s-types';
import { brokerSubjectAltNames, type MaterialKind } from '../tls';

export interface SecretTarget {
  namespace: string;
  name: string;
  kind: MaterialKind;
  /** The broker StatefulSet's name (`{cluster}` in the Secret name templates). */
  cluster: string;
  /** Subject CN: the StatefulSet's name for brokers (Kafka's principal `CN=<sts>`). */
  commonName: string;
  /** Names the certificate must carry: every DNS form of every broker and Service; none for clients. */
  subjectAltNames: string[];
}

export const CLUSTER_LABEL = 'kafka-warden.io/cluster';

/** The client certificate's CN: the principal the chart's other components connect as. */
export function clientCommonName(cluster: string): string {
  return `${cluster}-client`;
}

/**
 * The broker and client Secrets of a Kafka broker StatefulSet, detected by its pod template (never
 * by name); none for anything else, for a StatefulSet being deleted, or when TLS is off.
 */
export function targetsForStatefulSet(
  statefulSet: KubeObject,
  config: WardenConfig,
  clusterDomain?: string,
): SecretTarget[] {
  if (!config.tls.enabled) return [];
  const metadata = statefulSet.metadata ?? {};
  const { name, namespace } = metadata;
  if (!name || !namespace || metadata.deletionTimestamp) return [];
  const spec = (statefulSet.spec ?? {}) as StatefulSetSpec;
  const detected = detectWorkload(spec.template?.metadata, spec.template?.spec, config);
  if (detected?.role !== 'kafka') return [];

  const external = config.listeners.external;
  const sans = brokerSubjectAltNames({
    cluster: name,
    headlessService: spec.serviceName || `${name}-headless`,
    namespace,
    // Zero replicas still get a certificate for broker 0: the Secret is ready for the scale-up.
    replicas: Math.max(typeof spec.replicas === 'number' ? spec.replicas : 1, 1),
    ...(clusterDomain ? { clusterDomain } : {}),
    externalHostTemplate: external.mode === 'none' ? null : external.hostTemplate,
  });
  return [
    {
      namespace,
      name: secretNameFor(config.tls.brokerSecretName, name),
      kind: 'broker',
      cluster: name,
      commonName: name,
      subjectAltNames: [...sans.dns, ...sans.ip],
    },
    {
      namespace,
      name: secretNameFor(config.tls.clientSecretName, name),
      kind: 'client',
      cluster: name,
      commonName: clientCommonName(name),
      subjectAltNames: [],
    },
  ];
}
