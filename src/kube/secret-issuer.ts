/**
 * The Secret issuer (docs/design.md, "TLS material: who issues and renews", Path 2): a background
 * reconciler in `kafka-warden serve --issue-secrets`. For every Kafka broker StatefulSet (detected by
 * its pod template) in the namespaces it covers, it makes sure the broker and client Secrets exist
 * and are current, issuing with src/tls and deciding renewals with `needsRenewal`.
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
 * Logs name namespaces, Secrets, kinds and reasons; never key material, passwords or Secret data.
 */
import type forge from 'node-forge';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { WardenConfig } from '../core/config';
import { SECRET_KEYS } from '../core/tls-wiring';
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
} from '../tls';
import { passwordsFromFiles } from '../tls/passwords';
import { decodeTruststore } from '../tls/pkcs12';
import { metadataMaps } from '../tls/secret';
import { isValidAt } from '../tls/validity';
import { CLUSTER_LABEL, targetsForStatefulSet, type SecretTarget } from './issuer-targets';
import { statusMessage, type KubeApi, type KubeResponse } from './kube-api';

export interface SecretIssuerOptions {
  api: KubeApi;
  /** The injection configuration: detection, Secret name templates, external host template. */
  config: WardenConfig;
  /** The platform CA: a Secret with tls.crt and tls.key (kubernetes.io/tls, cert-manager's CA form). */
  caSecret: { namespace: string; name: string };
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
  /** Someone else's Secret under that name: never touched. */
  | 'not-managed'
  /** Due for the new CA, whose trust step has not been done: left as it is. */
  | 'waiting';

export const DEFAULT_EXCLUDED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];
const DEFAULT_INTERVAL_MS = 10_000;
const DEFAULT_DEBOUNCE_MS = 250;
/** A create or update that loses this many races in a row waits for the next pass. */
const MAX_ATTEMPTS = 4;
const WATCH_RETRY_MS = 2_000;

interface LoadedCa {
  resourceVersion: string;
  signing: SigningCa;
  fingerprint: string;
}

interface SecretObject {
  metadata?: { resourceVersion?: string; name?: string; namespace?: string };
  [key: string]: unknown;
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
  };
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
        help: 'Secrets the issuer looked at, by kind and result (issued, renewed, current, adopted, not-managed, waiting, error)',
        labelNames: ['kind', 'result'],
        registers,
      }),
    };
  }

  /** Starts the watch and the periodic pass; the first pass runs at once. */
  start(): void {
    const { namespaces } = this.options;
    const paths = namespaces?.length
      ? namespaces.map((ns) => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/statefulsets`)
      : ['/apis/apps/v1/statefulsets'];
    this.running = [this.loop(), ...paths.map((path) => this.watchLoop(path))];
    this.logger.info(
      {
        ca: `${this.options.caSecret.namespace}/${this.options.caSecret.name}`,
        namespaces: namespaces?.length ? namespaces : '(all)',
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
    for (const statefulSet of statefulSets) {
      const namespace = (statefulSet as SecretObject).metadata?.namespace ?? '';
      if (this.excluded.has(namespace)) continue;
      const targets = targetsForStatefulSet(
        statefulSet as Parameters<typeof targetsForStatefulSet>[0],
        this.options.config,
        this.options.clusterDomain,
      );
      for (const target of targets) {
        if (this.stopped) return;
        try {
          const result = await this.ensure(target, ca);
          this.metrics.secrets.inc({ kind: target.kind, result });
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
        }
      }
    }
    this.metrics.passes.inc({ result: 'ok' });
  }

  /**
   * Makes one Secret exist and be current; the answer says who did the work. Throws on anything
   * but a lost race (which it resolves by reading again and deciding again).
   */
  private async ensure(target: SecretTarget, ca: LoadedCa): Promise<EnsureResult> {
    const path = secretPath(target.namespace, target.name);
    const where = { namespace: target.namespace, secret: target.name, kind: target.kind };
    let lostRace = false;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const read = await this.api.request<SecretObject>('GET', path);
      if (read.status === 404) {
        const manifest = await this.newSecret(target, ca, []);
        const created = await this.api.request(
          'POST',
          `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/secrets`,
          manifest,
        );
        if (created.status === 201) {
          this.logger.info(
            { ...where, notAfter: manifest.metadata.annotations[ANNOTATIONS.notAfter] },
            'issued',
          );
          return 'issued';
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
        return 'not-managed';
      }
      if (!decision.renew) return lostRace ? 'adopted' : 'current';
      if (decision.reason === 'ca-changed' && !trusts(current, ca.fingerprint)) {
        // Signing with a CA the running brokers do not trust yet breaks every handshake between a
        // restarted broker and one still on the old material: trust first, then sign (docs/tls.md).
        this.reportOnce(
          `${target.namespace}/${target.name}/untrusted-ca`,
          { ...where, fingerprint: ca.fingerprint },
          'the CA changed, but this truststore does not trust the new CA yet: not replaced ' +
            '(docs/tls.md, "Rotating the CA": step 1, trust it and roll, comes first)',
        );
        return 'waiting';
      }
      if (decision.reason === 'expiring' && this.cappedByCa(decision.notAfter, ca)) {
        // A leaf never outlives its CA: new material would be just as due. Renewing would loop.
        this.reportOnce(
          `${target.namespace}/${target.name}/capped`,
          { ...where, caNotAfter: ca.signing.certificate.validity.notAfter.toISOString() },
          'due for renewal, but the CA expires first: renewing cannot help; rotate the CA',
        );
        return lostRace ? 'adopted' : 'current';
      }

      const manifest = await this.newSecret(target, ca, this.trustedCas(current));
      const { labels, annotations } = metadataMaps(current);
      const replacement = {
        ...manifest,
        metadata: {
          ...manifest.metadata,
          labels: { ...labels, ...manifest.metadata.labels },
          annotations: { ...annotations, ...manifest.metadata.annotations },
          resourceVersion: current.metadata?.resourceVersion,
        },
      };
      const replaced = await this.api.request('PUT', path, replacement);
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
        return 'renewed';
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

  private async newSecret(target: SecretTarget, ca: LoadedCa, alsoTrust: forge.pki.Certificate[]) {
    const material = await issueMaterial(target.kind, {
      ca: ca.signing,
      commonName: target.commonName,
      subjectAltNames: target.subjectAltNames,
      alsoTrust,
      clock: this.clock,
    });
    return toSecret(material, {
      name: target.name,
      namespace: target.namespace,
      labels: { [CLUSTER_LABEL]: target.cluster },
    });
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

  private async listStatefulSets(): Promise<unknown[]> {
    const { namespaces } = this.options;
    const bases = namespaces?.length
      ? namespaces.map((ns) => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/statefulsets`)
      : ['/apis/apps/v1/statefulsets'];
    const items: unknown[] = [];
    for (const base of bases) {
      let token: string | undefined;
      do {
        const query = `?limit=250${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
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
