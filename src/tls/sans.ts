/**
 * The names a broker certificate must carry. Clients verify the name they dialled (endpoint
 * identification "https", docs/design.md "Listeners and TLS"), and in a cluster that name is any
 * of the Kubernetes DNS forms: the advertised listener uses `<pod>.<headless>.<namespace>`,
 * bootstrap servers name a Service, short or fully qualified, from the same namespace or another.
 */
import { isIP } from 'node:net';
import { WardenError } from '../core/errors';
import { checkPrintable, quoted, type SubjectAltNames } from './certificates';

export interface BrokerNames {
  /** The broker StatefulSet's name; pods are `<cluster>-<ordinal>`. */
  cluster: string;
  /** Its governing headless Service. */
  headlessService: string;
  namespace: string;
  replicas: number;
  /** Services that load-balance over the brokers; cp-helm-charts names its one like the StatefulSet. */
  clientServices?: string[];
  /** The cluster's DNS domain. */
  clusterDomain?: string;
  /** `listeners.external.hostTemplate`; `{id}` is the broker id (the ordinal). */
  externalHostTemplate?: string | null;
  /**
   * Also `*.<headless>.<namespace>[.svc[.<domain>]]`. Off by default: explicit names keep the
   * certificate honest about which brokers exist, and a scale-up is an issue (new names) anyway.
   */
  wildcard?: boolean;
}

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/**
 * The most brokers one certificate names. Far above any cp-helm-charts cluster, and about where
 * the names stop fitting a Secret: for 1,000 brokers with short names, the names annotation alone
 * is ~230 KB of the 256 KiB the API server allows all of a Secret's annotations. A replica count
 * beyond it (a typo, or a StatefulSet made to be expensive) is refused before any name is built.
 */
export const MAX_BROKERS = 1000;

/** `x.<ns>.svc.<domain>`, `x.<ns>.svc`, `x.<ns>`, `x`: every way a pod in the cluster may say it. */
function dnsForms(name: string, namespace: string, domain: string): string[] {
  return [
    `${name}.${namespace}.svc.${domain}`,
    `${name}.${namespace}.svc`,
    `${name}.${namespace}`,
    name,
  ];
}

export function brokerSubjectAltNames(names: BrokerNames): SubjectAltNames {
  const domain = names.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  const { namespace, headlessService } = names;
  if (!Number.isInteger(names.replicas) || names.replicas < 1 || names.replicas > MAX_BROKERS) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `replicas must be a whole number from 1 to ${MAX_BROKERS}, not ${names.replicas}`,
    );
  }
  const ordinals = Array.from({ length: names.replicas }, (_, id) => id);
  const template = names.externalHostTemplate;
  const all = [
    ...ordinals.flatMap((id) =>
      dnsForms(`${names.cluster}-${id}.${headlessService}`, namespace, domain),
    ),
    ...dnsForms(headlessService, namespace, domain),
    ...(names.clientServices ?? [names.cluster]).flatMap((svc) => dnsForms(svc, namespace, domain)),
    ...(names.wildcard ? dnsForms(`*.${headlessService}`, namespace, domain).slice(0, 3) : []),
    ...(template ? ordinals.map((id) => template.replaceAll('{id}', String(id))) : []),
  ];
  return splitSubjectAltNames(all, 'broker names');
}

const LABEL = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
const DNS_NAME = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);

/** RFC 1035 §2.3.4: 253 characters in the text form (255 octets on the wire). */
export const MAX_DNS_NAME = 253;

/**
 * Sorts names into DNS names and IP addresses (an IP is only verified against an IP SAN), checks
 * each, lower-cases DNS names and drops repeats, keeping the first occurrence's position. A control
 * character is refused before the surrounding spaces are trimmed: a name read with its newline is
 * a mistake to report, not to repair.
 */
export function splitSubjectAltNames(names: string[], source: string): SubjectAltNames {
  const result: SubjectAltNames = { dns: [], ip: [] };
  // A Set, not includes(): thousands of names made the scan quadratic (seconds on the event loop).
  const seen = new Set<string>();
  for (const raw of names) {
    checkPrintable(raw, source, 'a DNS name or IP address');
    const name = raw.trim().toLowerCase();
    if (isIP(name) !== 0) {
      if (!seen.has(name)) result.ip.push(name);
    } else if (name.length > MAX_DNS_NAME) {
      throw new WardenError(
        'KW_TLS_INPUT',
        `${source}: ${quoted(raw)} has ${name.length} characters; a DNS name has at most ${MAX_DNS_NAME}`,
      );
    } else if (DNS_NAME.test(name)) {
      if (!seen.has(name)) result.dns.push(name);
    } else {
      throw new WardenError(
        'KW_TLS_INPUT',
        `${source}: ${quoted(raw)} is neither a DNS name (RFC 1123 labels of 1 to 63 characters, an optional leading "*.") nor an IP address`,
      );
    }
    seen.add(name);
  }
  return result;
}
