/**
 * `kafka-warden serve --issue-secrets`: the issuer with a real API connection. Parsing of its flags
 * lives here too, so serve.ts only forwards them.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { WardenConfig } from '../../core/config';
import { WardenError } from '../../core/errors';
import { connectKube } from '../kube-client';
import type { KubeApi } from '../kube-api';
import { parseAuthorisation, type IssuerAuthorisation } from './authorisation';
import { DEFAULT_EXCLUDED_NAMESPACES, SecretIssuer } from './secret-issuer';

export interface IssuerFlags {
  /** `NS/NAME` of the CA Secret. */
  caSecret: string | undefined;
  /** Comma-separated `NS/NAME` of the broker StatefulSets the issuer may sign for. */
  clusters: string | undefined;
  /** `NS/NAME`: the one of them whose certificate names the external hosts. */
  externalCluster: string | undefined;
  kubeconfig: string | undefined;
  /** Seconds between full passes. */
  interval: string | undefined;
  /** Comma-separated. */
  namespaces: string | undefined;
  excludeNamespaces: string | undefined;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function parseCaSecret(text: string | undefined): { namespace: string; name: string } {
  const [namespace, name, ...rest] = (text ?? '').split('/');
  if (!namespace || !name || rest.length > 0 || !NAME.test(namespace) || !NAME.test(name)) {
    throw new WardenError(
      'KW_USAGE',
      `--issue-secrets needs --ca-secret NAMESPACE/NAME (a Secret with tls.crt and tls.key), got ${JSON.stringify(text ?? '')}`,
    );
  }
  return { namespace, name };
}

function list(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function startSecretIssuer(
  flags: IssuerFlags,
  context: { config: WardenConfig; logger: Logger; registry: Registry },
): SecretIssuer {
  const caSecret = parseCaSecret(flags.caSecret);
  const seconds = Number(flags.interval ?? '10');
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
    throw new WardenError(
      'KW_USAGE',
      `--issuer-interval must be 1 to 3600 seconds, got ${JSON.stringify(flags.interval)}`,
    );
  }
  const namespaces = list(flags.namespaces);
  const excludeNamespaces = list(flags.excludeNamespaces) ?? DEFAULT_EXCLUDED_NAMESPACES;
  const authorisation = parseAuthorisation({
    clusters: flags.clusters,
    externalCluster: flags.externalCluster,
    namespaces,
  });
  if (!context.config.tls.enabled) {
    context.logger.warn('--issue-secrets with tls.enabled false: no broker needs a Secret');
  }
  warnAboutScope(authorisation, excludeNamespaces, context);
  let api: KubeApi;
  try {
    api = connectKube(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {});
  } catch (error) {
    throw new WardenError(
      'KW_USAGE',
      `--issue-secrets needs access to the Kubernetes API: ${(error as Error).message}`,
    );
  }
  const issuer = new SecretIssuer({
    api,
    config: context.config,
    caSecret,
    authorisation,
    logger: context.logger,
    registry: context.registry,
    intervalMs: seconds * 1000,
    ...(namespaces ? { namespaces } : {}),
    excludeNamespaces,
  });
  issuer.start();
  return issuer;
}

/** Settings that contradict each other but leave the rest working: said once, at start. */
function warnAboutScope(
  authorisation: IssuerAuthorisation,
  excludeNamespaces: readonly string[],
  context: { config: WardenConfig; logger: Logger },
): void {
  const excluded = new Set(excludeNamespaces);
  for (const cluster of authorisation.clusters) {
    const namespace = cluster.split('/')[0] as string;
    if (excluded.has(namespace)) {
      context.logger.warn(
        { cluster, namespace },
        '--issuer-clusters names a cluster in an excluded namespace: nothing is issued for it',
      );
    }
  }
  const external = context.config.listeners.external;
  const hasHosts = external.mode !== 'none' && Boolean(external.hostTemplate);
  if (authorisation.externalCluster && !hasHosts) {
    context.logger.warn(
      { cluster: authorisation.externalCluster },
      '--issuer-external-cluster without listeners.external.hostTemplate: no external names to add',
    );
  }
  if (!authorisation.externalCluster && hasHosts) {
    // Before the authorisation, every broker certificate carried these names.
    context.logger.warn(
      { hostTemplate: external.hostTemplate },
      'listeners.external.hostTemplate is set, but no --issuer-external-cluster: ' +
        'no broker certificate names the external hosts',
    );
  }
}
