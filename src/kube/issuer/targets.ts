/**
 * Which Secrets a broker StatefulSet needs, and what their certificates must say: pure, from the
 * StatefulSet as the API server stores it, the injection configuration (the same Secret names the
 * post-renderer and the mutating webhook mount) and what the platform authorised.
 */
import { secretNameFor, type WardenConfig } from '../../core/config';
import { detectWorkload } from '../../core/detect';
import type { KubeObject, StatefulSetSpec } from '../../core/k8s-types';
import {
  brokerSubjectAltNames,
  MAX_BROKERS,
  type MaterialKind,
  type SubjectAltNames,
} from '../../tls';
import { brokerCommonName, componentsCommonName } from '../../tls/principals';
import { clusterKey, type IssuerAuthorisation } from './authorisation';

export interface SecretTarget {
  namespace: string;
  name: string;
  kind: MaterialKind;
  /** The broker StatefulSet's name (`{cluster}` in the Secret name templates). */
  cluster: string;
  /**
   * Subject CN (src/tls/principals.ts): `<sts>.<namespace>` for the brokers,
   * `<sts>-client.<namespace>` for the chart's other components.
   */
  commonName: string;
  /** Names the certificate must carry: every DNS form of every broker and Service; none for clients. */
  subjectAltNames: string[];
}

export const CLUSTER_LABEL = 'kafka-warden.io/cluster';

/** What the issuer does with one StatefulSet (authorisation.ts says who may have what). */
export type StatefulSetVerdict =
  /** Make these Secrets exist and keep them current. */
  | { verdict: 'issue'; targets: SecretTarget[] }
  /** Not the issuer's business: not a Kafka broker, being deleted, or TLS is off. */
  | { verdict: 'skip' }
  /** A Kafka broker StatefulSet that gets nothing, and why (logged once, counted). */
  | { verdict: 'refuse'; reason: RefusalReason; problem: string };

export type RefusalReason =
  /** Not in the platform's list: a look-alike, or a cluster nobody named yet. */
  | 'not-authorised'
  /** Named, but its spec cannot be given a certificate (replicas, Service name, names). */
  | 'unusable-spec';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The broker and client Secrets of a Kafka broker StatefulSet the platform authorised, detected by
 * its pod template (never by name); nothing for anything else. External host names only for the
 * one cluster the platform gave them to.
 */
export function verdictForStatefulSet(
  statefulSet: KubeObject,
  config: WardenConfig,
  authorisation: IssuerAuthorisation,
  clusterDomain?: string,
): StatefulSetVerdict {
  if (!config.tls.enabled) return { verdict: 'skip' };
  const metadata = statefulSet.metadata ?? {};
  const { name, namespace } = metadata;
  if (!name || !namespace || metadata.deletionTimestamp) return { verdict: 'skip' };
  const spec = (statefulSet.spec ?? {}) as StatefulSetSpec;
  const detected = detectWorkload(spec.template?.metadata, spec.template?.spec, config);
  if (detected?.role !== 'kafka') return { verdict: 'skip' };

  const key = clusterKey(namespace, name);
  if (!authorisation.clusters.has(key)) {
    return {
      verdict: 'refuse',
      reason: 'not-authorised',
      problem:
        `${key} is not in --issuer-clusters (the chart's secretIssuer.clusters): ` +
        'the issuer is not authorised to sign for it',
    };
  }
  // Checked before a name is built: the replica count is the user's, the work would be ours.
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  if (replicas > MAX_BROKERS) {
    return {
      verdict: 'refuse',
      reason: 'unusable-spec',
      problem: `spec.replicas ${replicas} is above the ${MAX_BROKERS} brokers one certificate names`,
    };
  }
  const headlessService = spec.serviceName || `${name}-headless`;
  // A Service name is one DNS label; dots would let the names reach into another namespace's.
  if (!DNS_LABEL.test(headlessService)) {
    return {
      verdict: 'refuse',
      reason: 'unusable-spec',
      problem: `spec.serviceName ${JSON.stringify(headlessService)} is not a Service name (one DNS label)`,
    };
  }
  const external = config.listeners.external;
  let sans: SubjectAltNames;
  try {
    sans = brokerSubjectAltNames({
      cluster: name,
      headlessService,
      namespace,
      // Zero replicas still get a certificate for broker 0: the Secret is ready for the scale-up.
      replicas: Math.max(replicas, 1),
      ...(clusterDomain ? { clusterDomain } : {}),
      externalHostTemplate:
        external.mode === 'none' || authorisation.externalCluster !== key
          ? null
          : external.hostTemplate,
    });
  } catch (error) {
    return {
      verdict: 'refuse',
      reason: 'unusable-spec',
      problem: (error as Error).message,
    };
  }
  return {
    verdict: 'issue',
    targets: [
      {
        namespace,
        name: secretNameFor(config.tls.brokerSecretName, name),
        kind: 'broker',
        cluster: name,
        commonName: brokerCommonName(name, namespace),
        subjectAltNames: [...sans.dns, ...sans.ip],
      },
      {
        namespace,
        name: secretNameFor(config.tls.clientSecretName, name),
        kind: 'client',
        cluster: name,
        commonName: componentsCommonName(name, namespace),
        subjectAltNames: [],
      },
    ],
  };
}
