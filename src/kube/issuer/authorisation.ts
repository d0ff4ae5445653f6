/**
 * Which broker StatefulSets the Secret issuer may sign for (docs/tls.md, "Who can obtain what"):
 * only those the platform named, `--issuer-clusters NAMESPACE/STATEFULSET,…` (the chart's
 * `secretIssuer.clusters`). Looking like Kafka is not enough: whoever may create a StatefulSet in a
 * covered namespace could otherwise obtain certificates from the platform CA, for broker names
 * clients trust and a principal ACLs may grant.
 *
 * The principals are `CN=<sts>.<namespace>` and `CN=<sts>-client.<namespace>` (src/tls/principals.ts),
 * so a named cluster can only ever hold its own, whatever other namespaces call their StatefulSets.
 * One pair in one namespace would still share one: `X`'s components and the brokers of `X-client`.
 * The list is checked for that when serve starts.
 *
 * External host names (`listeners.external.hostTemplate`) are the same for every cluster the
 * configuration applies to (the template knows only `{id}`), so at most one named cluster
 * (`--issuer-external-cluster`) has them in its broker certificate.
 */
import { WardenError } from '../../core/errors';
import { componentsCommonName } from '../../tls/principals';

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

/** The authorisation serve runs with; a list that would hand out one principal twice is refused. */
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
  const clusters = new Set(entries.map(({ namespace, name }) => clusterKey(namespace, name)));
  for (const { namespace, name } of entries) {
    const principal = componentsCommonName(name, namespace);
    const sharing = clusterKey(namespace, `${name}-client`);
    if (clusters.has(sharing)) {
      throw new WardenError(
        'KW_USAGE',
        `--issuer-clusters names ${sharing}, whose brokers would share the principal ` +
          `CN=${principal} with the components of ${clusterKey(namespace, name)}`,
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
