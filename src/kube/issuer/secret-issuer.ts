/**
 * The Secret issuer (docs/design.md, "TLS material: who issues and renews", Path 2): a background
 * reconciler in `kafka-warden serve --issue-secrets`. For every Kafka broker StatefulSet (detected by
 * its pod template) that the platform authorised (authorisation.ts) in the namespaces it covers, it
 * makes sure the broker and client Secrets exist and are current, rolls the brokers onto a renewed
 * broker Secret, and fills the client Secrets users ask for with a label. Other StatefulSets that
 * look like Kafka get nothing.
 *
 * This file is the loop: a watch on StatefulSets and on labelled Secrets (a burst of events becomes
 * one pass) and a periodic pass, never admission: the webhooks answer without waiting for it, and
 * an admission dry run, which persists nothing, gives it nothing to see. A pass reads like a
 * controller of cert-manager's:
 *
 *   gather   the CA and the StatefulSets (gather.ts)
 *   decide   which Secrets each StatefulSet gets (targets.ts); for each Secret, issue, renew or keep
 *            (decide-secret.ts); whether the brokers roll (decide-roll.ts); for each client request,
 *            fill, renew or keep (client-requests.ts, decide-request.ts)
 *   write    ensure-secret.ts, broker-roll.ts, fill-requests.ts through writes.ts, every write
 *            conditional and retried on conflict by one helper (conflict-retry.ts), so several
 *            replicas converge on one keystore and nothing is rotated twice
 *
 * Logs name namespaces, Secrets, kinds and reasons; never key material, passwords or Secret data.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { WardenConfig } from '../../core/config';
import type { KubeObject } from '../../core/k8s-types';
import { systemClock, type Clock } from '../../tls';
import type { KubeApi } from '../kube-api';
import { WatchedLoop } from '../watched-loop';
import { collectionPaths } from './api';
import type { IssuerAuthorisation } from './authorisation';
import { BrokerRoll } from './broker-roll';
import { issuerMetrics, OnceReporter, type IssuerContext } from './context';
import { ensureSecret, type EnsureOutcome } from './ensure-secret';
import { fillRequests, REQUEST_QUERY } from './fill-requests';
import { CaSource, gatherPass, type Coverage } from './gather';
import { verdictForStatefulSet, type RefusalReason } from './targets';

export interface SecretIssuerOptions {
  api: KubeApi;
  /** The injection configuration: detection, Secret name templates, external host template. */
  config: WardenConfig;
  /** The platform CA: a Secret with tls.crt and tls.key (kubernetes.io/tls, cert-manager's CA form). */
  caSecret: { namespace: string; name: string };
  /** The broker StatefulSets the platform named; nothing else is issued for. */
  authorisation: IssuerAuthorisation;
  logger: Logger;
  /** Period of the full pass besides the watch (default 10 s). */
  intervalMs?: number;
  /** Cover only these namespaces (list and watch per namespace; Roles suffice). Default: all. */
  namespaces?: string[];
  /** Never issue here (default kube-system, kube-public, kube-node-lease). */
  excludeNamespaces?: string[];
  renewBeforeDays?: number;
  clusterDomain?: string;
  clock?: Clock;
  /** Where the issuer's Prometheus counters go (the server's registry). */
  registry?: Registry;
  /** A watch event waits this long so a burst (a helm install) becomes one pass (default 250 ms). */
  debounceMs?: number;
}

export type { EnsureResult } from './context';

export const DEFAULT_EXCLUDED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];
const DEFAULT_INTERVAL_MS = 10_000;
const DEFAULT_DEBOUNCE_MS = 250;

export class SecretIssuer {
  private readonly context: IssuerContext;
  private readonly coverage: Coverage;
  private readonly caSource: CaSource;
  private readonly roll: BrokerRoll;
  private readonly intervalMs: number;
  private readonly debounceMs: number;
  private readonly loop: WatchedLoop;

  /** True once stop() was called: a pass checks it between its writes. */
  private get stopped(): boolean {
    return this.loop.stopped;
  }

  constructor(private readonly options: SecretIssuerOptions) {
    const logger = options.logger.child({ component: 'secret-issuer' });
    this.context = {
      api: options.api,
      logger,
      clock: options.clock ?? systemClock,
      config: options.config,
      renewBeforeDays: options.renewBeforeDays,
      metrics: issuerMetrics(options.registry),
      reports: new OnceReporter(logger),
    };
    this.coverage = {
      namespaces: options.namespaces,
      excluded: new Set(options.excludeNamespaces ?? DEFAULT_EXCLUDED_NAMESPACES),
    };
    this.caSource = new CaSource(this.context, options.caSecret);
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.roll = new BrokerRoll(this.context, this.intervalMs);
    this.loop = new WatchedLoop({
      api: options.api,
      intervalMs: this.intervalMs,
      debounceMs: this.debounceMs,
      pass: () => this.reconcile(),
      onPassError: (error) => {
        this.context.metrics.passes.inc({ result: 'error' });
        this.context.logger.error({ error: error.message }, 'issuer pass failed');
      },
      logger: this.context.logger,
    });
  }

  /** Starts the watch and the periodic pass; the first pass runs at once. */
  start(): void {
    const { namespaces } = this.options;
    const paths = [
      ...collectionPaths('/apis/apps/v1', 'statefulsets', namespaces),
      // Only labelled Secrets: a request appearing or changing starts a pass.
      ...collectionPaths('/api/v1', 'secrets', namespaces).map(
        (path) => `${path}?${REQUEST_QUERY}`,
      ),
    ];
    this.loop.start(paths);
    this.context.logger.info(
      {
        ca: `${this.options.caSecret.namespace}/${this.options.caSecret.name}`,
        namespaces: namespaces?.length ? namespaces : '(all)',
        clusters: [...this.options.authorisation.clusters],
        externalCluster: this.options.authorisation.externalCluster,
        excluded: [...this.coverage.excluded],
        intervalMs: this.intervalMs,
      },
      'secret issuer started',
    );
  }

  /** Asks for a pass soon (coalesced with other requests). */
  trigger(): void {
    this.loop.trigger();
  }

  /** Stops watching and waits for the pass in progress (each request has its own deadline). */
  async stop(): Promise<void> {
    await this.loop.stop();
    this.context.logger.info('secret issuer stopped');
  }

  /** One pass over every broker StatefulSet. Resolves when done; errors are logged, not thrown. */
  async reconcile(): Promise<void> {
    const { logger, metrics } = this.context;
    const gathered = await gatherPass(this.context, this.caSource, this.coverage);
    if (!gathered.ok) {
      metrics.passes.inc({ result: gathered.result });
      return;
    }
    const { ca, statefulSets } = gathered.inputs;
    const brokers = new Map<string, KubeObject>();
    for (const statefulSet of statefulSets) {
      const decided = verdictForStatefulSet(
        statefulSet,
        this.options.config,
        this.options.authorisation,
        this.options.clusterDomain,
      );
      if (decided.verdict === 'refuse') {
        this.refuse(statefulSet, decided.reason, decided.problem);
        continue;
      }
      if (decided.verdict === 'skip') continue;
      brokers.set(`${statefulSet.metadata?.namespace}/${statefulSet.metadata?.name}`, statefulSet);
      for (const target of decided.targets) {
        if (this.stopped) return;
        let outcome: EnsureOutcome;
        try {
          outcome = await ensureSecret(this.context, target, ca);
          metrics.secrets.inc({ kind: target.kind, result: outcome.result });
        } catch (error) {
          metrics.secrets.inc({ kind: target.kind, result: 'error' });
          logger.warn(
            {
              namespace: target.namespace,
              secret: target.name,
              kind: target.kind,
              error: (error as Error).message,
            },
            'could not ensure the Secret; retrying on the next pass',
          );
          continue;
        }
        if (target.kind !== 'broker' || !outcome.secret) continue;
        try {
          await this.roll.rollIfPending(statefulSet, target, outcome.secret);
        } catch (error) {
          metrics.rolls.inc({ result: 'error' });
          logger.warn(
            {
              namespace: target.namespace,
              statefulset: target.cluster,
              secret: target.name,
              error: (error as Error).message,
            },
            'could not roll the brokers onto the renewed Secret; retrying on the next pass',
          );
        }
      }
    }
    await fillRequests(this.context, this.coverage, brokers, ca, () => this.stopped);
    metrics.passes.inc({ result: 'ok' });
  }

  /**
   * A look-alike is a warning (someone can create StatefulSets that look like Kafka where the issuer
   * covers); a named cluster that cannot be served is an error (its brokers wait for a Secret).
   */
  private refuse(statefulSet: KubeObject, reason: RefusalReason, problem: string): void {
    const { logger, metrics, reports } = this.context;
    metrics.secrets.inc({ kind: 'broker', result: 'refused' });
    const namespace = statefulSet.metadata?.namespace ?? '';
    const name = statefulSet.metadata?.name ?? '';
    if (!reports.first(`${namespace}/${name}/refused/${problem}`)) return;
    const fields = { namespace, statefulset: name, reason, problem };
    const message = 'no Secrets for this Kafka broker StatefulSet';
    if (reason === 'not-authorised') logger.warn(fields, message);
    else logger.error(fields, message);
  }
}
