/**
 * `kafka-warden serve`: the one place that listens, reads flags and environment, and handles
 * signals. Everything it wires is built and tested on its own (src/server, src/admission).
 */
import { readFileSync, rmSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import pino, { type Logger } from 'pino';
import type { StatefulSetSource } from '../admission/scale';
import { validate } from '../admission/validate';
import { loadConfigFile } from '../config/load-config';
import { resolveConfig } from '../core/config';
import { WardenError } from '../core/errors';
import { describeWebhookRefusals, webhookRefusals } from '../core/webhook-scope';
import type { KafkaCredentialFiles } from '../kafka/credentials';
import { checkBootstrapTemplate, DEFAULT_BOOTSTRAP_TEMPLATE } from '../kafka/probe';
import { staticLookup } from '../kafka/resolve';
import { evaluate } from '../policy/engine';
import { NO_PLAN_SOURCE, type PlanSource } from '../policy/plan-source';
import type { VolumeClaimSource } from '../policy/volume-claims';
import { AdmissionServer } from '../server/admission-server';
import { admissionHandlers, createApp, probeHandlers, type AppDependencies } from '../server/app';
import { createMetrics, type AdmissionMetrics } from '../server/metrics';
import { PolicyStore } from '../server/policy-store';
import { createSelfSigned, writeCaCertificate } from '../server/self-signed';
import { readPair, watchPair, type CertificatePair } from '../server/serving-certificate';
import { parseCommandArgs, wholeNumber } from './parse-args';

export const HELP = `usage: kafka-warden serve [options]

The mutating (POST /mutate) and validating (POST /validate) admission webhooks over HTTPS, with
GET /healthz, /readyz and /metrics.

  --port N                 listen port (default 8443; KAFKA_WARDEN_PORT)
  --host ADDR              listen address (default 0.0.0.0)
  --tls-cert F --tls-key F serving certificate and key, re-read when the files change; without
                           them a self-signed pair is generated (its key kept in memory only)
                           and its CA certificate's path printed
  --client-ca F            PEM CA(s) of the API server's client certificate: /mutate and
                           /validate then answer only callers it signed (401 otherwise)
  --policy F               platform policy (YAML); re-read on change, last valid kept
  --config F               injection configuration (as for render)
  --mutate-statefulsets    also inject into StatefulSet pod templates, not only Pods
  --kubeconfig F           the API server for plan ConfigMaps, StatefulSets, claims and the issuer
                           (default: in-cluster)
  --no-kube                never contact the API server (plans must be inline annotations)
  --issue-secrets          run the Secret issuer: broker and client TLS Secrets for the Kafka
                           broker StatefulSets named by --issuer-clusters, issued and renewed in
                           the background (docs/tls.md)
  --ca-secret NS/NAME      the issuer's CA: a Secret with tls.crt and tls.key
  --issuer-clusters L      comma-separated NAMESPACE/STATEFULSET: the only broker StatefulSets the
                           issuer signs for (required)
  --issuer-external-cluster NS/STS   the one of them whose broker certificate also names the
                           external hosts (listeners.external.hostTemplate); default none
  --issuer-interval S      seconds between full issuer passes besides the watch (default 10)
  --issuer-namespaces L    comma-separated namespaces the issuer covers (default: all)
  --issuer-exclude-namespaces L   never issue there (default kube-system,kube-public,kube-node-lease)
  --kafka-tls-dir DIR      live cluster checks (rolling-restart, broker-scaling): the webhook's own
                           Kafka client keystore, a kafka-warden client Secret's files; without
                           it rules judge from the manifests alone
  --kafka-bootstrap-template T   where a broker StatefulSet's cluster answers, with {namespace},
                           {statefulSet}, {serviceName} (default {serviceName}.{namespace}:9093)
  --kafka-sasl-username U  SASL/PLAIN user for the live checks (with --kafka-sasl-password-file)
  --kafka-sasl-password-file F   its password, one line
  --kafka-config-ttl MS    how long min.insync.replicas per topic is reused (default 30000);
                           partition health itself is read anew for every request
  --kafka-resolve N=A      connect to address A for broker name N (repeatable), like curl's
                           --resolve: for a webhook outside cluster DNS; TLS still verifies N
  --roll-gate              run the roll gate's controller (docs/design.md, "The roll gate"): sets
                           pod condition kafka-warden.io/broker-in-sync on gated brokers from the
                           live cluster (needs --kafka-tls-dir and the API server); one replica
                           writes at a time, the holder of a Lease
  --roll-gate-lease NS/NAME   the Lease (default $POD_NAMESPACE/kafka-warden-roll-gate)
  --roll-gate-namespaces L    comma-separated namespaces whose gated pods it judges (default: all)
  --roll-gate-interval S   seconds between passes besides the watch on gated pods (default 5)
  --roll-gate-lease-seconds S  how long the Lease lasts without renewal (default 15)
  --shutdown-delay MS      keep serving this long after SIGTERM (default 5000)
  --log-level LEVEL        pino level (default info)
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'client-ca': { type: 'string' },
    policy: { type: 'string' },
    config: { type: 'string' },
    'mutate-statefulsets': { type: 'boolean' },
    kubeconfig: { type: 'string' },
    'no-kube': { type: 'boolean' },
    'issue-secrets': { type: 'boolean' },
    'ca-secret': { type: 'string' },
    'issuer-clusters': { type: 'string' },
    'issuer-external-cluster': { type: 'string' },
    'issuer-interval': { type: 'string' },
    'issuer-namespaces': { type: 'string' },
    'issuer-exclude-namespaces': { type: 'string' },
    'kafka-tls-dir': { type: 'string' },
    'kafka-bootstrap-template': { type: 'string' },
    'kafka-sasl-username': { type: 'string' },
    'kafka-sasl-password-file': { type: 'string' },
    'kafka-config-ttl': { type: 'string' },
    'kafka-resolve': { type: 'string', multiple: true },
    'roll-gate': { type: 'boolean' },
    'roll-gate-lease': { type: 'string' },
    'roll-gate-namespaces': { type: 'string' },
    'roll-gate-interval': { type: 'string' },
    'roll-gate-lease-seconds': { type: 'string' },
    'shutdown-delay': { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = wholeNumber(values.port ?? process.env.KAFKA_WARDEN_PORT ?? '8443', '--port');
  if (port > 65535) {
    throw new WardenError('KW_USAGE', `--port must be 0 to 65535, got ${port}`);
  }
  const host = values.host ?? '0.0.0.0';
  const shutdownDelayMs = wholeNumber(values['shutdown-delay'] ?? '5000', '--shutdown-delay');
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    throw new WardenError('KW_USAGE', '--tls-cert and --tls-key go together');
  }
  if (values['issue-secrets'] && values['no-kube']) {
    throw new WardenError('KW_USAGE', '--issue-secrets needs the API server; drop --no-kube');
  }
  const kafkaOptions = liveCheckOptions(values);
  if (values['roll-gate'] && (values['no-kube'] || !kafkaOptions)) {
    throw new WardenError(
      'KW_USAGE',
      '--roll-gate judges brokers from the live cluster and writes pod conditions: it needs --kafka-tls-dir and the API server (drop --no-kube)',
    );
  }
  const logger = pino({ level: values['log-level'] ?? 'info', base: { service: 'kafka-warden' } });
  logUnhandledRejections(logger);

  const config = values.config ? loadConfigFile(values.config) : resolveConfig();
  // Before anything listens: a configuration the webhook could apply only in part is refused whole.
  const refusals = webhookRefusals(config);
  if (refusals.length > 0) {
    throw new WardenError('KW_CONFIG_WEBHOOK', describeWebhookRefusals(refusals));
  }
  const policies = new PolicyStore(values.policy, logger);
  const certFile = values['tls-cert'];
  const keyFile = values['tls-key'];
  // Before anything starts in the background: files that will not serve are the user's to fix.
  const certificate =
    certFile && keyFile ? readPair(certFile, keyFile) : await selfSignedCertificate();
  const clientCa = values['client-ca'] ? readClientCa(values['client-ca']) : undefined;
  const planSource = values['no-kube']
    ? NO_PLAN_SOURCE
    : await kubePlanSourceOrNone(values.kubeconfig, logger);
  const { statefulSets, volumeClaims } = values['no-kube']
    ? {}
    : await kubeReadersOrNone(values.kubeconfig, logger);

  const metrics = createMetrics({ processMetrics: true });
  const clusterState = kafkaOptions
    ? await startClusterStateProbe(kafkaOptions, logger, metrics)
    : undefined;
  // In the background, never in the admission path: admission neither waits on nor drives it.
  const issuer = values['issue-secrets']
    ? (await import('../kube/issuer/start')).startSecretIssuer(
        {
          caSecret: values['ca-secret'],
          clusters: values['issuer-clusters'],
          externalCluster: values['issuer-external-cluster'],
          kubeconfig: values.kubeconfig,
          interval: values['issuer-interval'],
          namespaces: values['issuer-namespaces'],
          excludeNamespaces: values['issuer-exclude-namespaces'],
        },
        { config, logger, registry: metrics.registry },
      )
    : undefined;

  // Like the issuer: in the background, never in the admission path.
  const rollGate =
    values['roll-gate'] && clusterState
      ? (await import('../kube/start-roll-gate')).startRollGate(
          {
            lease: values['roll-gate-lease'],
            namespaces: values['roll-gate-namespaces'],
            interval: values['roll-gate-interval'],
            leaseSeconds: values['roll-gate-lease-seconds'],
            kubeconfig: values.kubeconfig,
          },
          { logger, registry: metrics.registry, kafka: clusterState },
        )
      : undefined;

  let draining = false;
  const dependencies: AppDependencies = {
    logger,
    metrics,
    mutation: () => ({ config, mutateStatefulSets: values['mutate-statefulsets'] ?? false }),
    validate: (request) =>
      validate(
        request,
        (policyRequest) =>
          evaluate(policyRequest, {
            policy: policies.policy,
            planSource,
            ...(volumeClaims ? { volumeClaims } : {}),
            detection: config.detection,
            ...(clusterState ? { clusterState } : {}),
          }),
        statefulSets ? { statefulSets } : {},
      ),
    ready: () => !draining,
  };
  const server = new AdmissionServer({
    app: createApp(dependencies),
    admission: admissionHandlers(dependencies),
    probes: probeHandlers(dependencies),
    certificate,
    ...(clientCa ? { clientCa } : {}),
    host,
    port,
    shutdownDelayMs,
    shutdownTimeoutMs: 25_000,
  });
  // A self-signed pair never changes: there is nothing to watch.
  const certificates =
    certFile && keyFile
      ? watchPair(
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
        )
      : { stop: () => undefined };
  const stopPolicyWatch = policies.watch();
  const address = await server.listen().catch(async (error: unknown) => {
    certificates.stop();
    stopPolicyWatch();
    await issuer?.stop();
    await rollGate?.stop();
    await clusterState?.close();
    throw listenError(error, host, port);
  });
  logger.info(
    {
      port: address.port,
      host: address.address,
      policy: values.policy ?? '(defaults)',
      liveChecks: kafkaOptions ? kafkaOptions.bootstrapTemplate : 'off',
    },
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
  // Releases the Lease, so another replica takes over at its next try.
  await rollGate?.stop();
  await clusterState?.close();
  certificates.stop();
  stopPolicyWatch();
  logger.info('stopped');
  return 0;
}

/**
 * A promise nobody awaited that rejects is a bug, and Node's default is to exit on it: that would
 * take both webhooks down with it, for every caller (and with failurePolicy Fail, every Kafka
 * change). Logged instead; a thrown exception still ends the process, as its state is unknown.
 * Returns the function that removes the handler.
 */
export function logUnhandledRejections(logger: Pick<Logger, 'error'>): () => void {
  const handler = (reason: unknown) => {
    logger.error(
      { err: { message: (reason as Error)?.message, stack: (reason as Error)?.stack } },
      'unhandled promise rejection (a bug: please report it)',
    );
  };
  process.on('unhandledRejection', handler);
  return () => process.off('unhandledRejection', handler);
}

/** The --client-ca file: PEM certificates, each one a CA that node:tls accepts. */
function readClientCa(file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `--client-ca ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  try {
    if (!/-----BEGIN CERTIFICATE-----/.test(pem.toString('latin1')))
      throw new Error('no PEM certificate');
    createSecureContext({ ca: pem });
  } catch (error) {
    throw new WardenError(
      'KW_TLS_INPUT',
      `--client-ca ${file}: not PEM CA certificates (${(error as Error).message})`,
    );
  }
  return pem;
}

/**
 * A throw-away pair whose key stays in this process's memory; only the CA certificate, for clients,
 * is written, to a directory removed on exit (also after SIGTERM/SIGINT and the drain).
 */
async function selfSignedCertificate(): Promise<CertificatePair> {
  const { caPem, pair } = await createSelfSigned(['localhost', '127.0.0.1']);
  const written = writeCaCertificate(caPem);
  process.once('exit', () => rmSync(written.dir, { recursive: true, force: true }));
  process.stderr.write(
    `kafka-warden serve: no --tls-cert given; generated a self-signed certificate, CA at ${written.caFile}\n`,
  );
  return pair;
}

export interface LiveCheckOptions {
  credentials: KafkaCredentialFiles;
  bootstrapTemplate: string;
  configTtlMs: number;
}

/** The --kafka-* flags, checked before anything starts; undefined without --kafka-tls-dir. */
export function liveCheckOptions(values: {
  'kafka-tls-dir'?: string;
  'kafka-bootstrap-template'?: string;
  'kafka-sasl-username'?: string;
  'kafka-sasl-password-file'?: string;
  'kafka-config-ttl'?: string;
  'kafka-resolve'?: string[];
}): LiveCheckOptions | undefined {
  const tlsDir = values['kafka-tls-dir'];
  if (!tlsDir) {
    const orphan = (
      [
        'kafka-bootstrap-template',
        'kafka-sasl-username',
        'kafka-sasl-password-file',
        'kafka-config-ttl',
        'kafka-resolve',
      ] as const
    ).filter((flag) => values[flag] !== undefined);
    if (orphan.length > 0) {
      throw new WardenError(
        'KW_USAGE',
        `${orphan.map((f) => `--${f}`).join(', ')} configure the live cluster checks, which need ` +
          `--kafka-tls-dir (the webhook's Kafka client keystore)`,
      );
    }
    return undefined;
  }
  const credentials: KafkaCredentialFiles = {
    tlsDir,
    ...(values['kafka-sasl-username'] ? { saslUsername: values['kafka-sasl-username'] } : {}),
    ...(values['kafka-sasl-password-file']
      ? { saslPasswordFile: values['kafka-sasl-password-file'] }
      : {}),
  };
  const lookup = staticLookup(values['kafka-resolve'] ?? [], '--kafka-resolve');
  if (lookup) credentials.lookup = lookup;
  if (Boolean(credentials.saslUsername) !== Boolean(credentials.saslPasswordFile)) {
    throw new WardenError(
      'KW_USAGE',
      '--kafka-sasl-username and --kafka-sasl-password-file go together',
    );
  }
  const bootstrapTemplate = values['kafka-bootstrap-template'] ?? DEFAULT_BOOTSTRAP_TEMPLATE;
  checkBootstrapTemplate(bootstrapTemplate);
  return {
    credentials,
    bootstrapTemplate,
    configTtlMs: wholeNumber(values['kafka-config-ttl'] ?? '30000', '--kafka-config-ttl'),
  };
}

async function startClusterStateProbe(
  options: LiveCheckOptions,
  logger: pino.Logger,
  metrics: AdmissionMetrics,
) {
  const { kafkaProbeFromFiles } = await import('../kafka');
  const log = logger.child({ component: 'kafka' });
  return kafkaProbeFromFiles({
    credentials: options.credentials,
    bootstrapTemplate: options.bootstrapTemplate,
    configTtlMs: options.configTtlMs,
    // kafkajs reports every failed attempt as an error; the finding that follows says what counts.
    log: (level, message, fields) =>
      level === 'debug' || level === 'info'
        ? log.debug(fields, message)
        : log.warn(fields, message),
    onQuestion: (question, outcome, seconds) =>
      metrics.clusterChecks.observe({ question, outcome }, seconds),
  });
}

const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the address is in use (another process listens there)',
  EACCES: 'permission denied (a port below 1024 needs privileges)',
  EADDRNOTAVAIL: 'this machine has no such address',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (yet)',
};

/** A failure to listen is the user's address or the machine's state, not a bug: one line. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined) return error;
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new WardenError(
    'KW_SERVE_LISTEN',
    `cannot listen on ${address}: ${LISTEN_FAILURES[code] ?? 'the system refused'} (${code}); choose another --host or --port`,
  );
}

/**
 * The StatefulSet a statefulsets/scale request (kubectl scale) is about, and the claims a CREATE of
 * brokers is compared with; without API access, Scale requests are allowed unjudged and a broker
 * StatefulSet created again with fewer brokers is judged as a first install.
 */
async function kubeReadersOrNone(
  kubeconfig: string | undefined,
  logger: pino.Logger,
): Promise<{ statefulSets?: StatefulSetSource; volumeClaims?: VolumeClaimSource }> {
  try {
    const [{ connectKube }, { kubeStatefulSetSource }, { kubeVolumeClaimSource }] =
      await Promise.all([
        import('../kube/kube-client'),
        import('../kube/statefulset-source'),
        import('../kube/volume-claim-source'),
      ]);
    const api = connectKube(kubeconfig ? { kubeconfig } : {});
    return { statefulSets: kubeStatefulSetSource(api), volumeClaims: kubeVolumeClaimSource(api) };
  } catch (error) {
    logger.warn(
      { error: (error as Error).message },
      'no Kubernetes API access; kubectl scale (statefulsets/scale) requests are allowed unjudged, ' +
        'and broker StatefulSets created again are not compared with the claims they left',
    );
    return {};
  }
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
