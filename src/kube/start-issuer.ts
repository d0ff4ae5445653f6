/**
 * `kafka-warden serve --issue-secrets`: the issuer with a real API connection. Parsing of its flags
 * lives here too, so serve.ts only forwards them.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { WardenConfig } from '../core/config';
import { WardenError } from '../core/errors';
import { connectKube } from './kube-client';
import type { KubeApi } from './kube-api';
import { DEFAULT_EXCLUDED_NAMESPACES, SecretIssuer } from './secret-issuer';

export interface IssuerFlags {
  /** `NS/NAME` of the CA Secret. */
  caSecret: string | undefined;
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
  if (!context.config.tls.enabled) {
    context.logger.warn('--issue-secrets with tls.enabled false: no broker needs a Secret');
  }
  let api: KubeApi;
  try {
    api = connectKube(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {});
  } catch (error) {
    throw new WardenError(
      'KW_USAGE',
      `--issue-secrets needs access to the Kubernetes API: ${(error as Error).message}`,
    );
  }
  const namespaces = list(flags.namespaces);
  const issuer = new SecretIssuer({
    api,
    config: context.config,
    caSecret,
    logger: context.logger,
    registry: context.registry,
    intervalMs: seconds * 1000,
    ...(namespaces ? { namespaces } : {}),
    excludeNamespaces: list(flags.excludeNamespaces) ?? DEFAULT_EXCLUDED_NAMESPACES,
  });
  issuer.start();
  return issuer;
}
