/**
 * Which broker StatefulSets the Secret issuer may sign for (docs/tls.md, "Who can obtain what"):
 * only those the platform named, `--issuer-clusters NAMESPACE/STATEFULSET,…` (the chart's
 * `secretIssuer.clusters`). Looking like Kafka is not enough: whoever may create a StatefulSet in a
 * covered namespace could otherwise obtain a certificate from the platform CA for any principal and
 * any name.
 *
 * The broker principal is `CN=<StatefulSet name>` with no namespace in it, so two named clusters
 * must not share a name (one would hold the other's principal), nor may one be named like another's
 * components (`CN=<sts>-client`). The list is checked for both when serve starts: unique principals
 * by construction, not by whichever StatefulSet the issuer happened to see first.
 *
 * External host names (`listeners.external.hostTemplate`) are the same for every cluster the
 * configuration applies to (the template knows only `{id}`), so at most one named cluster
 * (`--issuer-external-cluster`) has them in its broker certificate.
 */
import { WardenError } from '../core/errors';

export interface IssuerAuthorisation {
  /** `<namespace>/<name>` of each broker StatefulSet the issuer may issue for. */
  clusters: ReadonlySet<string>;
  /** The one of them whose broker certificate also names the external hosts; null: none. */
  externalCluster: string | null;
}

export interface AuthorisationFlags {
  /** Comma-separated `NAMESPACE/STATEFULSET`. */
  clusters: string | undefined;
  /** `NAMESPACE/STATEFULSET`, one of `clusters`. */
  externalCluster: string | undefined;
  /** The namespaces the issuer lists and watches (`--issuer-namespaces`); undefined: all. */
  namespaces: readonly string[] | undefined;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const STATEFULSET = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function clusterKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function parseEntry(text: string, flag: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = text.split('/');
  if (!namespace || !name || rest.length > 0 || !NAMESPACE.test(namespace)) {
    throw new WardenError(
      'KW_USAGE',
      `${flag}: ${JSON.stringify(text)} is not NAMESPACE/STATEFULSET`,
    );
  }
  if (!STATEFULSET.test(name)) {
    throw new WardenError('KW_USAGE', `${flag}: ${JSON.stringify(name)} is not a StatefulSet name`);
  }
  return { namespace, name };
}

/** The authorisation serve runs with; a list that could hand out one principal twice is refused. */
export function parseAuthorisation(flags: AuthorisationFlags): IssuerAuthorisation {
  const entries = (flags.clusters ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => parseEntry(item, '--issuer-clusters'));
  if (entries.length === 0) {
    throw new WardenError(
      'KW_USAGE',
      '--issue-secrets needs --issuer-clusters NAMESPACE/STATEFULSET,…: the broker StatefulSets it ' +
        'may issue for (docs/tls.md, "Who can obtain what")',
    );
  }
  const namespaceOf = new Map<string, string>();
  for (const { namespace, name } of entries) {
    const other = namespaceOf.get(name);
    if (other !== undefined && other !== namespace) {
      throw new WardenError(
        'KW_USAGE',
        `--issuer-clusters names ${name} in namespaces ${other} and ${namespace}: both would be ` +
          `the principal CN=${name}. Name each Kafka cluster once`,
      );
    }
    namespaceOf.set(name, namespace);
  }
  for (const { namespace, name } of entries) {
    const base = name.endsWith('-client') ? name.slice(0, -'-client'.length) : undefined;
    const owner = base === undefined ? undefined : namespaceOf.get(base);
    if (owner !== undefined) {
      throw new WardenError(
        'KW_USAGE',
        `--issuer-clusters names ${clusterKey(namespace, name)}, whose brokers would be the ` +
          `principal CN=${name} of the components of ${clusterKey(owner, base as string)}`,
      );
    }
  }
  const covered = flags.namespaces?.length ? new Set(flags.namespaces) : undefined;
  const uncovered = covered && entries.find(({ namespace }) => !covered.has(namespace));
  if (uncovered) {
    throw new WardenError(
      'KW_USAGE',
      `--issuer-clusters names ${clusterKey(uncovered.namespace, uncovered.name)}, but ` +
        `--issuer-namespaces does not cover namespace ${uncovered.namespace}`,
    );
  }
  const clusters = new Set(entries.map(({ namespace, name }) => clusterKey(namespace, name)));
  let externalCluster: string | null = null;
  if (flags.externalCluster?.trim()) {
    const { namespace, name } = parseEntry(
      flags.externalCluster.trim(),
      '--issuer-external-cluster',
    );
    externalCluster = clusterKey(namespace, name);
    if (!clusters.has(externalCluster)) {
      throw new WardenError(
        'KW_USAGE',
        `--issuer-external-cluster ${externalCluster} is not one of --issuer-clusters`,
      );
    }
  }
  return { clusters, externalCluster };
}
