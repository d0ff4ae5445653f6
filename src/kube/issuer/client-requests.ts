/**
 * Client Secrets that users ask for (docs/tls.md, "Client Secrets on request"): pure decisions.
 *
 * A user creates a Secret (type Opaque, possibly empty) labelled `kafka-warden.io/client-tls: "true"`
 * with annotation `kafka-warden.io/kafka-cluster: <broker StatefulSet>` (or `<namespace>/<name>`),
 * optionally `kafka-warden.io/client-name`, and the issuer fills it with the six client keys, as
 * cert-manager fills a Certificate's Secret and Strimzi a KafkaUser's. The Secret itself is the
 * request, so no CRD has to be installed and the user's RBAC on Secrets is the permission; the
 * issuer writes only its own keys and annotations, never a Secret without the label.
 *
 * The subject is `OU=<the Secret's namespace>, CN=<client name>`; Kafka's principal (RFC 2253)
 * reads `CN=<client name>,OU=<namespace>`. Brokers (`CN=<sts>.<namespace>`) and the chart's
 * components (`CN=<sts>-client.<namespace>`) carry no OU (src/tls/principals.ts), so a request can
 * never obtain their principals, nor one of another namespace.
 */
import { SECRET_KEYS } from '../../core/tls-wiring';
import type { KubeObject } from '../../core/k8s-types';
import { ANNOTATIONS } from '../../tls';
import { MANAGED_BY, metadataMaps, type SecretManifest } from '../../tls/secret';

/** The request label; only Secrets carrying it with value "true" are ever read or written. */
export const CLIENT_REQUEST_LABEL = 'kafka-warden.io/client-tls';
export const CLIENT_REQUEST_SELECTOR = `${CLIENT_REQUEST_LABEL}=true`;
/** On the request: `<sts>` in the Secret's namespace, or `<namespace>/<sts>`. */
export const KAFKA_CLUSTER_ANNOTATION = 'kafka-warden.io/kafka-cluster';
/** On the request, optional: the certificate's CN (default: the Secret's name). */
export const CLIENT_NAME_ANNOTATION = 'kafka-warden.io/client-name';
/**
 * On the broker StatefulSet: the other namespaces whose requests it accepts (comma-separated, or
 * `*`). Requests from the StatefulSet's own namespace need no consent.
 */
export const CLIENT_NAMESPACES_ANNOTATION = 'kafka-warden.io/client-tls-namespaces';
/** Recorded on a filled request: the subject issued, as Kafka names the principal. */
export const SUBJECT_ANNOTATION = 'kafka-warden.io/tls-subject';

const MATERIAL_KEYS = Object.values(SECRET_KEYS);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** Letters, digits, `.`, `_`, `-`: nothing an RFC 2253 name or an ACL would have to escape. */
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ClientRequest {
  namespace: string;
  /** The Secret's name. */
  name: string;
  /** The broker StatefulSet the client is for. */
  cluster: { namespace: string; name: string };
  commonName: string;
  organizationalUnit: string;
  /** `CN=<commonName>,OU=<namespace>`: Kafka's principal name for the certificate. */
  subject: string;
}

export type RequestVerdict =
  { ok: true; request: ClientRequest } | { ok: false; problem: string; cluster?: string };

/**
 * Whether the issuer may fill this Secret and with what subject. `brokers` holds the broker
 * StatefulSets the issuer covers, keyed `<namespace>/<name>`.
 */
export function clientRequestFor(
  secret: KubeObject,
  brokers: ReadonlyMap<string, KubeObject>,
): RequestVerdict {
  const { labels, annotations } = metadataMaps(secret);
  const namespace = secret.metadata?.namespace ?? '';
  const name = secret.metadata?.name ?? '';
  if (labels[CLIENT_REQUEST_LABEL] !== 'true' || !namespace || !name) {
    return { ok: false, problem: `not labelled ${CLIENT_REQUEST_SELECTOR}` };
  }
  if (secret.metadata?.deletionTimestamp) return { ok: false, problem: 'being deleted' };
  const type = (secret as { type?: unknown }).type;
  if (type !== undefined && type !== 'Opaque') {
    return {
      ok: false,
      problem: `type ${JSON.stringify(type)}: only an Opaque Secret can hold the stores`,
    };
  }
  const reference = annotations[KAFKA_CLUSTER_ANNOTATION]?.trim() ?? '';
  const cluster = parseClusterReference(reference, namespace);
  if (!cluster) {
    return {
      ok: false,
      problem: reference
        ? `${KAFKA_CLUSTER_ANNOTATION} "${reference}" is not <statefulset> or <namespace>/<statefulset>`
        : `no ${KAFKA_CLUSTER_ANNOTATION} annotation naming the broker StatefulSet`,
    };
  }
  const clusterKey = `${cluster.namespace}/${cluster.name}`;
  const broker = brokers.get(clusterKey);
  if (!broker) {
    return {
      ok: false,
      cluster: clusterKey,
      problem: `no Kafka broker StatefulSet ${clusterKey} with TLS that the issuer signs for (--issuer-clusters, in the namespaces it covers)`,
    };
  }
  if (cluster.namespace !== namespace && !consents(broker, namespace)) {
    return {
      ok: false,
      cluster: clusterKey,
      problem:
        `StatefulSet ${clusterKey} does not accept client requests from namespace ${namespace}: ` +
        `its annotation ${CLIENT_NAMESPACES_ANNOTATION} must list it`,
    };
  }
  const commonName = annotations[CLIENT_NAME_ANNOTATION]?.trim() || name;
  if (!CLIENT_NAME.test(commonName)) {
    return {
      ok: false,
      cluster: clusterKey,
      problem: `client name "${commonName}" must be 1 to 64 letters, digits, ".", "_" or "-"`,
    };
  }
  return {
    ok: true,
    request: {
      namespace,
      name,
      cluster,
      commonName,
      organizationalUnit: namespace,
      subject: `CN=${commonName},OU=${namespace}`,
    },
  };
}

function parseClusterReference(
  reference: string,
  ownNamespace: string,
): { namespace: string; name: string } | null {
  const parts = reference.split('/');
  if (parts.length === 1 && DNS_SUBDOMAIN.test(parts[0] as string)) {
    return { namespace: ownNamespace, name: parts[0] as string };
  }
  const [namespace, name] = parts as [string, string];
  if (parts.length === 2 && DNS_LABEL.test(namespace) && DNS_SUBDOMAIN.test(name)) {
    return { namespace, name };
  }
  return null;
}

function consents(broker: KubeObject, namespace: string): boolean {
  const listed = metadataMaps(broker).annotations[CLIENT_NAMESPACES_ANNOTATION] ?? '';
  return listed
    .split(',')
    .map((item) => item.trim())
    .some((item) => item === '*' || item === namespace);
}

export type RequestState =
  /** Never filled, none of the six keys present: issue. */
  | 'empty'
  /** Never filled, but it holds one of the six keys: someone else's data; never overwritten. */
  | 'foreign-keys'
  /** Filled by kafka-warden (its annotations are there): renew when due. */
  | 'issued';

export function requestState(secret: unknown): RequestState {
  const { annotations } = metadataMaps(secret);
  if (annotations[ANNOTATIONS.kind] === 'client' && annotations[ANNOTATIONS.contentHash]) {
    return 'issued';
  }
  const data = dataOf(secret);
  return MATERIAL_KEYS.some((key) => key in data) ? 'foreign-keys' : 'empty';
}

/**
 * What `needsRenewal` should judge: the six keys kafka-warden wrote (the user's own keys in the
 * same Secret neither count towards the content hash nor make it "content-changed") and the
 * managed-by label the request does not carry (its labels are the user's).
 */
export function materialView(secret: unknown): KubeObject {
  const data = dataOf(secret);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { labels: { ...MANAGED_BY }, annotations: metadataMaps(secret).annotations },
    data: Object.fromEntries(MATERIAL_KEYS.filter((k) => k in data).map((k) => [k, data[k]])),
  };
}

/**
 * The update that fills or renews a request: the user's Secret as read (its labels, annotations
 * and other keys untouched, its resourceVersion as the precondition) with the six keys and the
 * material's annotations set.
 */
export function filledRequest(
  current: KubeObject,
  manifest: SecretManifest,
  request: ClientRequest,
): KubeObject {
  const { annotations } = metadataMaps(current);
  return {
    ...current,
    type: 'Opaque',
    metadata: {
      ...current.metadata,
      annotations: {
        ...annotations,
        ...manifest.metadata.annotations,
        [SUBJECT_ANNOTATION]: request.subject,
      },
    },
    data: { ...dataOf(current), ...manifest.data },
  };
}

/**
 * CAs the brokers trust (their valid truststore entries, as fingerprints) that the request's
 * truststore does not: a CA rotation's first step done on the brokers (docs/tls.md), which clients
 * must follow before any broker presents a certificate from the new CA.
 */
export function missingTrust(requestSecret: unknown, brokerTrusts: readonly string[]): string[] {
  const own = new Set(
    (metadataMaps(requestSecret).annotations[ANNOTATIONS.trustedFingerprints] ?? '')
      .split(',')
      .filter(Boolean),
  );
  return brokerTrusts.filter((print) => !own.has(print));
}

function dataOf(secret: unknown): Record<string, string> {
  const data = (secret as { data?: unknown } | null)?.data;
  return typeof data === 'object' && data !== null ? (data as Record<string, string>) : {};
}
