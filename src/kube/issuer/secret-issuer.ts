/**
 * The Secret issuer (docs/design.md, "TLS material: who issues and renews", Path 2): a background
 * reconciler in `kafka-warden serve --issue-secrets`. For every Kafka broker StatefulSet (detected by
 * its pod template) that the platform authorised (authorisation.ts) in the namespaces it
 * covers, it makes sure the broker and client Secrets exist and are current, issuing with src/tls
 * and deciding renewals with `needsRenewal`. Other StatefulSets that look like Kafka get nothing.
 *
 * It is driven by a watch on StatefulSets (a burst of events becomes one pass) and a periodic pass,
 * never by admission: the webhooks answer without waiting for it, and an admission dry run, which
 * persists nothing, gives it nothing to see.
 *
 * Several replicas converge on one keystore: a missing Secret is created with POST, and the loser
 * of a race (409 AlreadyExists) reads the winner back and uses it; a renewal is a PUT carrying the
 * resourceVersion it read, and a 409 Conflict means someone else changed it first: read again and
 * decide again, so nothing is rotated twice.
 *
 * A renewed broker Secret is marked in the same PUT, and the mark makes the issuer patch the
 * StatefulSet's pod template hash so the controller rolls the brokers onto it (broker-roll.ts).
 * Client Secrets users ask for with a label are filled and renewed the same way
 * (client-requests.ts).
 *
 * Logs name namespaces, Secrets, kinds and reasons; never key material, passwords or Secret data.
 */
import type forge from 'node-forge';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { WardenConfig } from '../../core/config';
import { secretNameFor } from '../../core/config';
import type { KubeObject } from '../../core/k8s-types';
import { SECRET_KEYS } from '../../core/tls-wiring';
import {
  ANNOTATIONS,
  caPemFromSecret,
  filesFromSecret,
  fingerprint,
  issueMaterial,
  loadCa,
  needsRenewal,
  systemClock,
  toSecret,
  type Clock,
  type SigningCa,
} from '../../tls';
import { passwordsFromFiles } from '../../tls/passwords';
import { decodeTruststore } from '../../tls/pkcs12';
import { metadataMaps } from '../../tls/secret';
import { isValidAt } from '../../tls/validity';
import {
  FIELD_MANAGER,
  pendingRoll,
  planRoll,
  ROLL_PENDING_ANNOTATION,
  RollBackoff,
  templateHash,
  withoutRollMark,
} from './broker-roll';
import {
  CLIENT_REQUEST_SELECTOR,
  clientRequestFor,
  filledRequest,
  materialView,
  missingTrust,
  requestState,
  SUBJECT_ANNOTATION,
  type ClientRequest,
} from './client-requests';
import type { IssuerAuthorisation } from './authorisation';
import {
  CLUSTER_LABEL,
  verdictForStatefulSet,
  type RefusalReason,
  type SecretTarget,
} from './targets';
import { MERGE_PATCH, statusMessage, type KubeApi, type KubeResponse } from '../kube-api';

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

export type EnsureResult =
  /** Created by this replica. */
  | 'issued'
  /** Replaced by this replica (expiring, names missing, CA changed, …). */
  | 'renewed'
  | 'current'
  /** Another replica created or renewed it first; it was read back and is current. */
  | 'adopted'
  /** Someone else's Secret under that name (or data under the keys a request would fill): never touched. */
  | 'not-managed'
  /** Due for the new CA, whose trust step has not been done: left as it is. */
  | 'waiting'
  /** A client Secret request deleted, or its label removed, between the list and the read. */
  | 'gone';

export const DEFAULT_EXCLUDED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];
const DEFAULT_INTERVAL_MS = 10_000;
const DEFAULT_DEBOUNCE_MS = 250;
/** A create or update that loses this many races in a row waits for the next pass. */
const MAX_ATTEMPTS = 4;
const WATCH_RETRY_MS = 2_000;
/** A refused roll patch is retried after the pass interval, doubling up to this. */
const MAX_ROLL_BACKOFF_MS = 5 * 60_000;

interface LoadedCa {
  resourceVersion: string;
  signing: SigningCa;
  fingerprint: string;
}

interface SecretObject {
  metadata?: {
    resourceVersion?: string;
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

/** A cluster's broker Secret and the still-valid CAs its truststore holds. */
interface BrokerTrust {
  secret: SecretObject;
  trusted: forge.pki.Certificate[];
}

interface EnsureOutcome {
  result: EnsureResult;
  /** The Secret as last read or written, when there is one. */
  secret?: SecretObject;
}

interface ListBody {
  items?: unknown[];
  metadata?: { continue?: string };
}

export class SecretIssuer {
  private readonly api: KubeApi;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly debounceMs: number;
  private readonly excluded: Set<string>;
  private readonly aborter = new AbortController();
  private readonly metrics: {
    passes: Counter<'result'>;
    secrets: Counter<'kind' | 'result'>;
    rolls: Counter<'result'>;
  };
  private readonly rollBackoff: RollBackoff;
  private stopped = false;
  private pending = false;
  private wake: (() => void) | undefined;
  private running: Promise<void>[] = [];
  private ca: LoadedCa | undefined;
  /** The last CA problem logged, so a missing CA Secret is reported once, not every pass. */
  private caProblem: string | undefined;
  /** Warnings that would repeat every pass, logged once per Secret. */
  private readonly reported = new Set<string>();

  constructor(private readonly options: SecretIssuerOptions) {
    this.api = options.api;
    this.logger = options.logger.child({ component: 'secret-issuer' });
    this.clock = options.clock ?? systemClock;
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.excluded = new Set(options.excludeNamespaces ?? DEFAULT_EXCLUDED_NAMESPACES);
    const registers = options.registry ? [options.registry] : [];
    this.metrics = {
      passes: new Counter({
        name: 'kafka_warden_issuer_passes_total',
        help: 'Secret issuer passes over the broker StatefulSets, by result (ok, no-ca, error)',
        labelNames: ['result'],
        registers,
      }),
      secrets: new Counter({
        name: 'kafka_warden_issuer_secrets_total',
        help: 'Secrets the issuer looked at, by kind (broker, client, client-request) and result (issued, renewed, current, adopted, not-managed, waiting, refused, gone, error)',
        labelNames: ['kind', 'result'],
        registers,
      }),
      rolls: new Counter({
        name: 'kafka_warden_issuer_rolls_total',
        help: 'Pod template patches that roll brokers onto renewed material, by result (patched, already, refused, overwritten, error)',
        labelNames: ['result'],
        registers,
      }),
    };
    this.rollBackoff = new RollBackoff(this.intervalMs, MAX_ROLL_BACKOFF_MS);
  }

  /** Starts the watch and the periodic pass; the first pass runs at once. */
  start(): void {
    const paths = [
      ...this.collectionPaths('/apis/apps/v1', 'statefulsets'),
      // Only labelled Secrets: a request appearing or changing starts a pass.
      ...this.collectionPaths('/api/v1', 'secrets').map((path) => `${path}?${REQUEST_QUERY}`),
    ];
    this.running = [this.loop(), ...paths.map((path) => this.watchLoop(path))];
    const { namespaces } = this.options;
    this.logger.info(
      {
        ca: `${this.options.caSecret.namespace}/${this.options.caSecret.name}`,
        namespaces: namespaces?.length ? namespaces : '(all)',
        clusters: [...this.options.authorisation.clusters],
        externalCluster: this.options.authorisation.externalCluster,
        excluded: [...this.excluded],
        intervalMs: this.intervalMs,
      },
      'secret issuer started',
    );
  }

  /** Asks for a pass soon (coalesced with other requests). */
  trigger(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Stops watching and waits for the pass in progress (each request has its own deadline). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.aborter.abort();
    this.wake?.();
    await Promise.allSettled(this.running);
    this.logger.info('secret issuer stopped');
  }

  /** One pass over every broker StatefulSet. Resolves when done; errors are logged, not thrown. */
  async reconcile(): Promise<void> {
    let ca: LoadedCa | undefined;
    try {
      ca = await this.readCa();
    } catch (error) {
      this.reportCaProblem(`the CA Secret cannot be read: ${(error as Error).message}`);
    }
    if (!ca) {
      this.metrics.passes.inc({ result: 'no-ca' });
      return;
    }
    let statefulSets: unknown[];
    try {
      statefulSets = await this.listStatefulSets();
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'cannot list StatefulSets');
      this.metrics.passes.inc({ result: 'error' });
      return;
    }
    const brokers = new Map<string, KubeObject>();
    for (const item of statefulSets) {
      const statefulSet = item as KubeObject;
      const namespace = statefulSet.metadata?.namespace ?? '';
      if (this.excluded.has(namespace)) continue;
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
      const targets = decided.targets;
      brokers.set(`${namespace}/${statefulSet.metadata?.name}`, statefulSet);
      for (const target of targets) {
        if (this.stopped) return;
        let outcome: EnsureOutcome;
        try {
          outcome = await this.ensure(target, ca);
          this.metrics.secrets.inc({ kind: target.kind, result: outcome.result });
        } catch (error) {
          this.metrics.secrets.inc({ kind: target.kind, result: 'error' });
          this.logger.warn(
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
          await this.rollIfPending(statefulSet, target, outcome.secret);
        } catch (error) {
          this.metrics.rolls.inc({ result: 'error' });
          this.logger.warn(
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
    await this.fillRequests(brokers, ca);
    this.metrics.passes.inc({ result: 'ok' });
  }

  /**
   * Makes one Secret exist and be current; the answer says who did the work. Throws on anything
   * but a lost race (which it resolves by reading again and deciding again).
   */
  private async ensure(target: SecretTarget, ca: LoadedCa): Promise<EnsureOutcome> {
    const path = secretPath(target.namespace, target.name);
    const where = { namespace: target.namespace, secret: target.name, kind: target.kind };
    let lostRace = false;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const read = await this.api.request<SecretObject>('GET', path);
      if (read.status === 404) {
        const manifest = await this.newSecret(target, ca, []);
        const created = await this.api.request<SecretObject>(
          'POST',
          `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/secrets`,
          manifest,
        );
        if (created.status === 201) {
          this.logger.info(
            { ...where, notAfter: manifest.metadata.annotations[ANNOTATIONS.notAfter] },
            'issued',
          );
          return { result: 'issued', secret: created.body };
        }
        if (created.status === 409) {
          // Another replica created it between our read and our create: use theirs.
          this.logger.info(where, 'created by another replica first; reading it back');
          lostRace = true;
          continue;
        }
        throw new Error(`create failed: ${statusMessage(created)}`);
      }
      if (read.status !== 200) throw new Error(`read failed: ${statusMessage(read)}`);

      const current = read.body;
      const decision = needsRenewal(current, this.clock(), this.options.renewBeforeDays, {
        issuerFingerprint: ca.fingerprint,
        subjectAltNames: target.subjectAltNames,
      });
      if (decision.reason === 'not-managed') {
        this.reportOnce(
          `${target.namespace}/${target.name}/not-managed`,
          where,
          'the Secret exists but was not made by kafka-warden; left alone',
        );
        return { result: 'not-managed' };
      }
      if (!decision.renew) return { result: lostRace ? 'adopted' : 'current', secret: current };
      if (decision.reason === 'ca-changed' && !trusts(current, ca.fingerprint)) {
        // Signing with a CA the running brokers do not trust yet breaks every handshake between a
        // restarted broker and one still on the old material: trust first, then sign (docs/tls.md).
        this.reportOnce(
          `${target.namespace}/${target.name}/untrusted-ca`,
          { ...where, fingerprint: ca.fingerprint },
          'the CA changed, but this truststore does not trust the new CA yet: not replaced ' +
            '(docs/tls.md, "Rotating the CA": step 1, trust it and roll, comes first)',
        );
        return { result: 'waiting', secret: current };
      }
      if (decision.reason === 'expiring' && this.cappedByCa(decision.notAfter, ca)) {
        // A leaf never outlives its CA: new material would be just as due. Renewing would loop.
        this.reportOnce(
          `${target.namespace}/${target.name}/capped`,
          { ...where, caNotAfter: ca.signing.certificate.validity.notAfter.toISOString() },
          'due for renewal, but the CA expires first: renewing cannot help; rotate the CA',
        );
        return { result: lostRace ? 'adopted' : 'current', secret: current };
      }

      const manifest = await this.newSecret(target, ca, this.trustedCas(current));
      const { labels, annotations } = metadataMaps(current);
      const replacement = {
        ...manifest,
        metadata: {
          ...manifest.metadata,
          labels: { ...labels, ...manifest.metadata.labels },
          annotations: {
            ...annotations,
            ...manifest.metadata.annotations,
            // Running brokers loaded the old stores: the mark, written with the material, makes
            // the StatefulSet roll (rollIfPending), even if this process stops right after.
            ...(target.kind === 'broker'
              ? {
                  [ROLL_PENDING_ANNOTATION]: manifest.metadata.annotations[ANNOTATIONS.contentHash],
                }
              : {}),
          },
          resourceVersion: current.metadata?.resourceVersion,
        },
      };
      const replaced = await this.api.request<SecretObject>('PUT', path, replacement);
      if (replaced.status === 200) {
        this.logger.info(
          {
            ...where,
            reason: decision.reason,
            previousNotAfter: decision.notAfter?.toISOString() ?? null,
            notAfter: manifest.metadata.annotations[ANNOTATIONS.notAfter],
          },
          'renewed',
        );
        return { result: 'renewed', secret: replaced.body };
      }
      if (replaced.status === 409) {
        // Changed since we read it (another replica renewed it): read again and decide again.
        this.logger.info({ ...where, reason: decision.reason }, 'changed concurrently; re-reading');
        lostRace = true;
        continue;
      }
      throw new Error(`update failed: ${statusMessage(replaced)}`);
    }
    throw new Error(`lost ${MAX_ATTEMPTS} races in a row; next pass`);
  }

  /**
   * A look-alike is a warning (someone can create StatefulSets that look like Kafka where the issuer
   * covers); a named cluster that cannot be served is an error (its brokers wait for a Secret).
   */
  private refuse(statefulSet: KubeObject, reason: RefusalReason, problem: string): void {
    this.metrics.secrets.inc({ kind: 'broker', result: 'refused' });
    const namespace = statefulSet.metadata?.namespace ?? '';
    const name = statefulSet.metadata?.name ?? '';
    const key = `${namespace}/${name}/refused/${problem}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const fields = { namespace, statefulset: name, reason, problem };
    const message = 'no Secrets for this Kafka broker StatefulSet';
    if (reason === 'not-authorised') this.logger.warn(fields, message);
    else this.logger.error(fields, message);
  }

  private reportOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.logger.warn(fields, message);
  }

  /** The material already lasts as long as the CA allows (validityFrom caps a leaf at the CA's end). */
  private cappedByCa(notAfter: Date | null, ca: LoadedCa): boolean {
    const caNotAfter = ca.signing.certificate.validity.notAfter.getTime();
    return notAfter !== null && notAfter.getTime() >= caNotAfter - 1000;
  }

  private async newSecret(
    target: Pick<SecretTarget, 'kind' | 'name' | 'namespace' | 'commonName' | 'subjectAltNames'> & {
      cluster?: string;
      organizationalUnit?: string;
    },
    ca: LoadedCa,
    alsoTrust: forge.pki.Certificate[],
  ) {
    const material = await issueMaterial(target.kind, {
      ca: ca.signing,
      commonName: target.commonName,
      ...(target.organizationalUnit ? { organizationalUnit: target.organizationalUnit } : {}),
      subjectAltNames: target.subjectAltNames,
      alsoTrust,
      clock: this.clock,
    });
    return toSecret(material, {
      name: target.name,
      namespace: target.namespace,
      labels: target.cluster ? { [CLUSTER_LABEL]: target.cluster } : {},
    });
  }

  /**
   * The roll after a renewal: while the broker Secret carries the roll mark, patch the pod
   * template's hash annotation (a JSON merge patch, idempotent: every replica writes the same
   * value) and then clear the mark with the resourceVersion read. A refused patch (a validating
   * webhook's rule, RBAC) keeps the mark and waits with a backoff; a 409 on the clear means the
   * Secret changed (renewed again): read it and go on from there.
   */
  private async rollIfPending(
    statefulSet: KubeObject,
    target: SecretTarget,
    known: SecretObject,
  ): Promise<void> {
    const path = secretPath(target.namespace, target.name);
    const key = `${target.namespace}/${target.cluster}`;
    const where = { namespace: target.namespace, statefulset: target.cluster, secret: target.name };
    const stsPath =
      `/apis/apps/v1/namespaces/${encodeURIComponent(target.namespace)}` +
      `/statefulsets/${encodeURIComponent(target.cluster)}?fieldManager=${FIELD_MANAGER}`;
    let secret: SecretObject | undefined = known;
    let sts = statefulSet;
    let patchedWith: string | undefined;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (!secret) {
        const read = await this.api.request<SecretObject>('GET', path);
        if (read.status !== 200) throw new Error(`read failed: ${statusMessage(read)}`);
        secret = read.body;
      }
      const pending = pendingRoll(secret);
      // After our own patch, a Secret renewed again meanwhile must not keep a stale value there.
      const current = metadataMaps(secret).annotations[ANNOTATIONS.contentHash];
      const hash = pending ?? (patchedWith !== undefined ? current : undefined);
      if (!hash || (!pending && hash === patchedWith)) return;

      if (hash !== patchedWith) {
        const plan = planRoll(sts, hash);
        if (plan.patch) {
          const generation = sts.metadata?.generation;
          const waitMs = this.rollBackoff.remaining(key, generation, Date.now());
          if (waitMs > 0) {
            this.logger.debug({ ...where, waitMs }, 'roll still backing off');
            return;
          }
          // Conditional on the StatefulSet as read: two replicas that both saw the old hash must
          // not both report (and count) the roll; the loser re-reads and finds it done.
          const resourceVersion = sts.metadata?.resourceVersion;
          const body = resourceVersion
            ? { ...plan.patch, metadata: { resourceVersion } }
            : plan.patch;
          const patched = await this.api.request<KubeObject>('PATCH', stsPath, body, {
            contentType: MERGE_PATCH,
          });
          if (patched.status === 409) {
            const read = await this.api.request<KubeObject>('GET', stsPath.split('?')[0] as string);
            if (read.status !== 200)
              throw new Error(`re-reading the StatefulSet failed: ${statusMessage(read)}`);
            sts = read.body;
            continue;
          }
          if (patched.status !== 200) {
            const retryAt = this.rollBackoff.refused(key, generation, Date.now());
            this.metrics.rolls.inc({ result: 'refused' });
            // The API server's message carries the refusing webhook's reason (e.g. a rule that
            // waits for under-replicated partitions) or the RBAC denial.
            this.logger.warn(
              {
                ...where,
                status: patched.status,
                problem: statusMessage(patched),
                retryAt: retryAt.toISOString(),
              },
              'the patch that rolls the brokers onto the renewed Secret was refused; retrying later',
            );
            return;
          }
          sts = patched.body;
          if (templateHash(sts) !== hash) {
            // A mutating webhook with --mutate-statefulsets and tls.contentHash set writes its
            // own value over ours: the controller saw no change. Retrying would not help.
            this.rollBackoff.refused(key, sts.metadata?.generation, Date.now());
            this.metrics.rolls.inc({ result: 'overwritten' });
            this.logger.error(
              { ...where, stored: templateHash(sts) ?? null },
              'the pod template hash was rewritten on admission (tls.contentHash in the webhook ' +
                'configuration?); the brokers do not roll. Keep tls.contentHash null where the issuer runs',
            );
            return;
          }
          this.rollBackoff.succeeded(key);
          this.metrics.rolls.inc({ result: 'patched' });
          this.logger.info(
            { ...where, hash, generation: sts.metadata?.generation ?? null },
            'rolling the brokers onto the renewed Secret',
          );
          for (const caveat of plan.caveats) this.logger.warn({ ...where, caveat }, caveat);
          if (plan.writtenByRelease) {
            this.reportOnce(
              `${key}/release-hash`,
              where,
              'tls.contentHash in the release also writes the pod template hash: the next helm ' +
                'upgrade writes its value back (one more roll onto the same material). Set ' +
                'tls.contentHash: null where the issuer runs (docs/tls.md)',
            );
          }
        } else {
          this.metrics.rolls.inc({ result: 'already' });
        }
        patchedWith = hash;
      }
      if (!pending) return;
      const cleared = await this.api.request<SecretObject>('PUT', path, withoutRollMark(secret));
      if (cleared.status === 200) return;
      if (cleared.status !== 409) {
        throw new Error(`clearing the roll mark failed: ${statusMessage(cleared)}`);
      }
      secret = undefined;
    }
    throw new Error(`lost ${MAX_ATTEMPTS} races in a row on the roll mark; next pass`);
  }

  /** The pass over client Secret requests (client-requests.ts): list by label, fill, renew. */
  private async fillRequests(
    brokers: ReadonlyMap<string, KubeObject>,
    ca: LoadedCa,
  ): Promise<void> {
    let requests: unknown[];
    try {
      requests = await this.listAll('/api/v1', 'secrets', REQUEST_QUERY);
      this.reported.delete('client-requests/list');
    } catch (error) {
      this.reportOnce(
        'client-requests/list',
        { error: (error as Error).message },
        `cannot list the client Secret requests (${CLIENT_REQUEST_SELECTOR}); ` +
          'broker and client Secrets are still issued',
      );
      return;
    }
    // One read of each cluster's broker Secret per pass, however many clients ask for it.
    const brokerSecrets = new Map<string, Promise<BrokerTrust | undefined>>();
    const brokerSecretOf = (request: ClientRequest) => {
      const key = `${request.cluster.namespace}/${request.cluster.name}`;
      let found = brokerSecrets.get(key);
      if (!found) {
        found = this.brokerSecretOf(request);
        brokerSecrets.set(key, found);
      }
      return found;
    };
    for (const item of requests) {
      if (this.stopped) return;
      const secret = item as KubeObject;
      const namespace = secret.metadata?.namespace ?? '';
      if (this.excluded.has(namespace)) continue;
      const where = { namespace, secret: secret.metadata?.name, kind: 'client-request' };
      const verdict = clientRequestFor(secret, brokers);
      if (!verdict.ok) {
        this.metrics.secrets.inc({ kind: 'client-request', result: 'refused' });
        this.reportOnce(
          `${namespace}/${secret.metadata?.name}/request/${verdict.problem}`,
          where,
          `client Secret request not filled: ${verdict.problem}`,
        );
        continue;
      }
      try {
        const result = await this.ensureRequest(verdict.request, brokers, ca, brokerSecretOf);
        this.metrics.secrets.inc({ kind: 'client-request', result });
      } catch (error) {
        this.metrics.secrets.inc({ kind: 'client-request', result: 'error' });
        this.logger.warn(
          { ...where, error: (error as Error).message },
          'could not fill the client Secret request; retrying on the next pass',
        );
      }
    }
  }

  /**
   * Fills or renews one request with a PUT carrying the resourceVersion read: the user's labels,
   * annotations and other keys stay; a 409 means it changed (the user, or the other replica
   * filled it first): read again and decide again.
   */
  private async ensureRequest(
    listed: ClientRequest,
    brokers: ReadonlyMap<string, KubeObject>,
    ca: LoadedCa,
    brokerSecretOf: (request: ClientRequest) => Promise<BrokerTrust | undefined>,
  ): Promise<EnsureResult> {
    const path = secretPath(listed.namespace, listed.name);
    const where = { namespace: listed.namespace, secret: listed.name, kind: 'client-request' };
    let lostRace = false;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const read = await this.api.request<KubeObject>('GET', path);
      if (read.status === 404) return 'gone';
      if (read.status !== 200) throw new Error(`read failed: ${statusMessage(read)}`);
      const current = read.body;
      // Read again, decided again: the label may be gone since the list (then hands off), and the
      // client name or the cluster may have changed.
      const verdict = clientRequestFor(current, brokers);
      if (!verdict.ok) return 'gone';
      const { request } = verdict;
      const broker = await brokerSecretOf(request);
      const state = requestState(current);
      if (state === 'foreign-keys') {
        this.reportOnce(
          `${request.namespace}/${request.name}/foreign-keys`,
          where,
          'the requested Secret already holds keys kafka-warden would write; left alone',
        );
        return 'not-managed';
      }
      let reason = 'issued';
      let ownTrust: forge.pki.Certificate[] = [];
      if (state === 'issued') {
        const view = materialView(current);
        const decision = needsRenewal(view, this.clock(), this.options.renewBeforeDays, {
          issuerFingerprint: ca.fingerprint,
        });
        const subjectChanged =
          metadataMaps(current).annotations[SUBJECT_ANNOTATION] !== request.subject;
        const trustAdded = broker
          ? missingTrust(current, broker.trusted.map(fingerprint)).length > 0
          : false;
        const renewFor = subjectChanged ? 'subject-changed' : trustAdded ? 'trust-added' : null;
        if (!renewFor && !decision.renew) return lostRace ? 'adopted' : 'current';
        if (!renewFor && decision.reason === 'expiring' && this.cappedByCa(decision.notAfter, ca)) {
          this.reportOnce(
            `${request.namespace}/${request.name}/capped`,
            where,
            'due for renewal, but the CA expires first: renewing cannot help; rotate the CA',
          );
          return lostRace ? 'adopted' : 'current';
        }
        reason = renewFor ?? decision.reason;
        ownTrust = this.trustedCas(view);
      }
      // The brokers' truststore is the reference: the client must trust every CA a broker may
      // present during a CA rotation, and present a certificate the brokers trust.
      if (broker && !trusts(broker.secret, ca.fingerprint)) {
        this.reportOnce(
          `${request.namespace}/${request.name}/untrusted-ca`,
          { ...where, fingerprint: ca.fingerprint },
          "the brokers' truststore does not trust the current CA yet: the request waits " +
            '(docs/tls.md, "Rotating the CA")',
        );
        return 'waiting';
      }
      const alsoTrust = [...(broker?.trusted ?? []), ...ownTrust];
      const manifest = await this.newSecret(
        {
          kind: 'client',
          name: request.name,
          namespace: request.namespace,
          commonName: request.commonName,
          organizationalUnit: request.organizationalUnit,
          subjectAltNames: [],
        },
        ca,
        alsoTrust,
      );
      const written = await this.api.request(
        'PUT',
        path,
        filledRequest(current, manifest, request),
      );
      if (written.status === 200) {
        const issued = state === 'empty';
        this.logger.info(
          {
            ...where,
            cluster: `${request.cluster.namespace}/${request.cluster.name}`,
            subject: request.subject,
            ...(issued ? {} : { reason }),
            notAfter: manifest.metadata.annotations[ANNOTATIONS.notAfter],
          },
          issued ? 'issued' : 'renewed',
        );
        return issued ? 'issued' : 'renewed';
      }
      if (written.status === 409) {
        this.logger.info(where, 'changed concurrently; re-reading');
        lostRace = true;
        continue;
      }
      throw new Error(`update failed: ${statusMessage(written)}`);
    }
    throw new Error(`lost ${MAX_ATTEMPTS} races in a row; next pass`);
  }

  /** The requested cluster's broker Secret when kafka-warden made it (its trust is the reference). */
  private async brokerSecretOf(request: ClientRequest): Promise<BrokerTrust | undefined> {
    const name = secretNameFor(this.options.config.tls.brokerSecretName, request.cluster.name);
    const read = await this.api.request<SecretObject>(
      'GET',
      secretPath(request.cluster.namespace, name),
    );
    if (read.status !== 200) return undefined;
    if (needsRenewal(read.body, this.clock()).reason === 'not-managed') return undefined;
    return { secret: read.body, trusted: this.trustedCas(read.body) };
  }

  /**
   * The CAs the current truststore trusts and that are still valid: a renewal keeps them, so a CA
   * the operator added ahead of a rotation (docs/tls.md, step 1) and the old CA after the CA Secret
   * changed (step 2) stay trusted. Unreadable material keeps nothing but the signing CA.
   */
  private trustedCas(secret: unknown): forge.pki.Certificate[] {
    try {
      const files = filesFromSecret(secret, 'the Secret');
      const store = files[SECRET_KEYS.truststore];
      if (!store) return [];
      const { truststore } = passwordsFromFiles(files, 'the Secret');
      const now = this.clock();
      return decodeTruststore(store, truststore, SECRET_KEYS.truststore)
        .map((entry) => entry.certificate)
        .filter((cert) => isValidAt(cert.validity, now));
    } catch {
      return [];
    }
  }

  private async readCa(): Promise<LoadedCa | undefined> {
    const { namespace, name } = this.options.caSecret;
    const source = `Secret ${namespace}/${name}`;
    const read = await this.api.request<SecretObject>('GET', secretPath(namespace, name));
    if (read.status !== 200) {
      this.reportCaProblem(`${source}: ${statusMessage(read)}`);
      return undefined;
    }
    const resourceVersion = read.body.metadata?.resourceVersion ?? '';
    if (this.ca && this.ca.resourceVersion === resourceVersion) return this.ca;
    try {
      const signing = loadCa(
        caPemFromSecret(read.body, source),
        { certificate: `${source} tls.crt`, key: `${source} tls.key` },
        this.clock(),
      );
      const loaded = { resourceVersion, signing, fingerprint: fingerprint(signing.certificate) };
      if (this.ca) {
        this.logger.info(
          { previous: this.ca.fingerprint, fingerprint: loaded.fingerprint },
          'the CA Secret changed',
        );
      }
      this.ca = loaded;
      this.caProblem = undefined;
      return loaded;
    } catch (error) {
      // KW_TLS_CA messages name the Secret key and the problem, never the key itself.
      this.reportCaProblem((error as Error).message);
      return undefined;
    }
  }

  private reportCaProblem(problem: string): void {
    if (problem === this.caProblem) return;
    this.caProblem = problem;
    this.logger.warn({ problem }, 'no usable CA; nothing is issued until it is fixed');
  }

  private listStatefulSets(): Promise<unknown[]> {
    return this.listAll('/apis/apps/v1', 'statefulsets');
  }

  /** The collection's path in each covered namespace, or the cluster-wide one. */
  private collectionPaths(group: string, resource: string): string[] {
    const { namespaces } = this.options;
    return namespaces?.length
      ? namespaces.map((ns) => `${group}/namespaces/${encodeURIComponent(ns)}/${resource}`)
      : [`${group}/${resource}`];
  }

  private async listAll(group: string, resource: string, filter = ''): Promise<unknown[]> {
    const items: unknown[] = [];
    for (const base of this.collectionPaths(group, resource)) {
      let token: string | undefined;
      do {
        const query = `?limit=250${filter ? `&${filter}` : ''}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
        const page: KubeResponse<ListBody> = await this.api.request<ListBody>(
          'GET',
          `${base}${query}`,
        );
        if (page.status !== 200) throw new Error(`list ${base}: ${statusMessage(page)}`);
        items.push(...(page.body.items ?? []));
        token = page.body.metadata?.continue || undefined;
      } while (token);
    }
    return items;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.pending = false;
      try {
        await this.reconcile();
      } catch (error) {
        this.metrics.passes.inc({ result: 'error' });
        this.logger.error({ error: (error as Error).message }, 'issuer pass failed');
      }
      if (this.stopped) break;
      await this.idle();
    }
  }

  /** Until the next period, or a trigger followed by the debounce. */
  private async idle(): Promise<void> {
    if (!this.pending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.intervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    if (!this.stopped) await delay(this.debounceMs, this.aborter.signal);
  }

  private async watchLoop(path: string): Promise<void> {
    const { signal } = this.aborter;
    while (!this.stopped) {
      try {
        await this.api.watch(
          path,
          (event) => {
            if (event.type !== 'BOOKMARK') this.trigger();
          },
          signal,
        );
      } catch (error) {
        this.logger.debug({ path, error: (error as Error).message }, 'watch ended; restarting');
      }
      if (!this.stopped) await delay(WATCH_RETRY_MS, signal);
    }
  }
}

/** Whether the Secret's truststore (as its annotation records) trusts the CA with this fingerprint. */
function trusts(secret: unknown, caFingerprint: string): boolean {
  const recorded = metadataMaps(secret).annotations[ANNOTATIONS.trustedFingerprints] ?? '';
  return recorded.split(',').includes(caFingerprint);
}

const REQUEST_QUERY = `labelSelector=${encodeURIComponent(CLIENT_REQUEST_SELECTOR)}`;

function secretPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
