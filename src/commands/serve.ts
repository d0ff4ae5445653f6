/**
 * `kafka-warden serve`: the one place that listens, reads flags and environment, and handles
 * signals. Everything it wires is built and tested on its own (src/server, src/admission).
 */
import { rmSync } from 'node:fs';
import pino from 'pino';
import { validate } from '../admission/validate';
import { loadConfigFile } from '../config/load-config';
import { resolveConfig } from '../core/config';
import { WardenError } from '../core/errors';
import { evaluate } from '../policy/engine';
import { NO_PLAN_SOURCE, type PlanSource } from '../policy/plan-source';
import { AdmissionServer } from '../server/admission-server';
import { admissionHandlers, createApp, probeHandlers, type AppDependencies } from '../server/app';
import { createMetrics } from '../server/metrics';
import { PolicyStore } from '../server/policy-store';
import { writeSelfSigned } from '../server/self-signed';
import { readPair, watchPair } from '../server/serving-certificate';
import { parseCommandArgs } from './parse-args';

export const HELP = `usage: kafka-warden serve [options]

The mutating (POST /mutate) and validating (POST /validate) admission webhooks over HTTPS, with
GET /healthz, /readyz and /metrics.

  --port N                 listen port (default 8443; KAFKA_WARDEN_PORT)
  --host ADDR              listen address (default 0.0.0.0)
  --tls-cert F --tls-key F serving certificate and key, re-read when the files change; without
                           them a self-signed pair is generated and its CA's path printed
  --policy F               platform policy (YAML); re-read on change, last valid kept
  --config F               injection configuration (as for render)
  --mutate-statefulsets    also inject into StatefulSet pod templates, not only Pods
  --kubeconfig F           the API server for plan ConfigMaps and the issuer (default: in-cluster)
  --no-kube                never contact the API server (plans must be inline annotations)
  --issue-secrets          run the Secret issuer: broker and client TLS Secrets for every Kafka
                           broker StatefulSet, issued and renewed in the background (docs/tls.md)
  --ca-secret NS/NAME      the issuer's CA: a Secret with tls.crt and tls.key
  --issuer-interval S      seconds between full issuer passes besides the watch (default 10)
  --issuer-namespaces L    comma-separated namespaces the issuer covers (default: all)
  --issuer-exclude-namespaces L   never issue there (default kube-system,kube-public,kube-node-lease)
  --shutdown-delay MS      keep serving this long after SIGTERM (default 5000)
  --log-level LEVEL        pino level (default info)
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    policy: { type: 'string' },
    config: { type: 'string' },
    'mutate-statefulsets': { type: 'boolean' },
    kubeconfig: { type: 'string' },
    'no-kube': { type: 'boolean' },
    'issue-secrets': { type: 'boolean' },
    'ca-secret': { type: 'string' },
    'issuer-interval': { type: 'string' },
    'issuer-namespaces': { type: 'string' },
    'issuer-exclude-namespaces': { type: 'string' },
    'shutdown-delay': { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = integer(values.port ?? process.env.KAFKA_WARDEN_PORT ?? '8443', '--port');
  const shutdownDelayMs = integer(values['shutdown-delay'] ?? '5000', '--shutdown-delay');
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    throw new WardenError('KW_USAGE', '--tls-cert and --tls-key go together');
  }
  if (values['issue-secrets'] && values['no-kube']) {
    throw new WardenError('KW_USAGE', '--issue-secrets needs the API server; drop --no-kube');
  }
  const logger = pino({ level: values['log-level'] ?? 'info', base: { service: 'kafka-warden' } });

  const config = values.config ? loadConfigFile(values.config) : resolveConfig();
  const policies = new PolicyStore(values.policy, logger);
  const planSource = values['no-kube']
    ? NO_PLAN_SOURCE
    : await kubePlanSourceOrNone(values.kubeconfig, logger);

  const metrics = createMetrics({ processMetrics: true });
  // In the background, never in the admission path: admission neither waits on nor drives it.
  const issuer = values['issue-secrets']
    ? (await import('../kube/start-issuer')).startSecretIssuer(
        {
          caSecret: values['ca-secret'],
          kubeconfig: values.kubeconfig,
          interval: values['issuer-interval'],
          namespaces: values['issuer-namespaces'],
          excludeNamespaces: values['issuer-exclude-namespaces'],
        },
        { config, logger, registry: metrics.registry },
      )
    : undefined;

  let certFile = values['tls-cert'];
  let keyFile = values['tls-key'];
  if (!certFile || !keyFile) {
    const generated = await writeSelfSigned(['localhost', '127.0.0.1']);
    ({ certFile, keyFile } = generated);
    // Throw-away material: gone with the process (also on SIGTERM/SIGINT, after the drain).
    process.once('exit', () => rmSync(generated.dir, { recursive: true, force: true }));
    process.stderr.write(
      `kafka-warden serve: no --tls-cert given; generated a self-signed certificate, CA at ${generated.caFile}\n`,
    );
  }

  let draining = false;
  const dependencies: AppDependencies = {
    logger,
    metrics,
    mutation: () => ({ config, mutateStatefulSets: values['mutate-statefulsets'] ?? false }),
    validate: (request) =>
      validate(request, (policyRequest) =>
        evaluate(policyRequest, {
          policy: policies.policy,
          planSource,
          detection: config.detection,
        }),
      ),
    ready: () => !draining,
  };
  const server = new AdmissionServer({
    app: createApp(dependencies),
    admission: admissionHandlers(dependencies),
    probes: probeHandlers(dependencies),
    certificate: readPair(certFile, keyFile),
    host: values.host ?? '0.0.0.0',
    port,
    shutdownDelayMs,
    shutdownTimeoutMs: 25_000,
  });
  const certificates = watchPair(
    certFile,
    keyFile,
    (pair) => {
      server.replaceCertificate(pair);
      logger.info({ cert: certFile }, 'serving certificate reloaded');
    },
    (error) =>
      logger.warn(
        { cert: certFile, error: error.message },
        'serving certificate not reloaded; keeping the current one',
      ),
  );
  const stopPolicyWatch = policies.watch();
  const address = await server.listen().catch(async (error: unknown) => {
    await issuer?.stop();
    throw error;
  });
  logger.info(
    { port: address.port, host: address.address, policy: values.policy ?? '(defaults)' },
    'listening',
  );

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      if (draining) return;
      draining = true;
      logger.info({ signal, shutdownDelayMs }, 'draining');
      server.drain().then(resolve, resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  await issuer?.stop();
  certificates.stop();
  stopPolicyWatch();
  logger.info('stopped');
  return 0;
}

function integer(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new WardenError(
      'KW_USAGE',
      `${flag} must be a whole number, got ${JSON.stringify(text)}`,
    );
  return value;
}

async function kubePlanSourceOrNone(
  kubeconfig: string | undefined,
  logger: pino.Logger,
): Promise<PlanSource> {
  try {
    const { kubePlanSource } = await import('../kube/config-map-plan-source');
    return kubePlanSource(kubeconfig ? { kubeconfig } : {});
  } catch (error) {
    // Outside a cluster with no kubeconfig: plans can still be given inline.
    logger.warn(
      { error: (error as Error).message },
      'no Kubernetes API access; reassignment-plan ConfigMaps cannot be read',
    );
    return NO_PLAN_SOURCE;
  }
}
