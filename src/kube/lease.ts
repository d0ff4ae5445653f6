/**
 * One active replica among several: a coordination.k8s.io/v1 Lease, as client-go's leader election
 * keeps it, so that only one `serve` writes the roll gate's pod conditions at a time.
 *
 * Every write is conditional on the Lease's resourceVersion, so two candidates never both take it.
 * Expiry is judged by this process's own clock from the moment it last saw the record change, never
 * by comparing the holder's renewTime with local time (clocks differ between nodes). A leader counts
 * itself leader only until `renewDeadline` after its last successful renewal, shorter than the
 * lease, so it stops acting before any other candidate can take over. `stop()` releases the Lease
 * (empty holder) so a successor takes it at its next try rather than after a whole lease.
 */
import type { Logger } from 'pino';
import { statusMessage, type KubeApi } from './kube-api';

export interface LeaseOptions {
  api: KubeApi;
  namespace: string;
  name: string;
  /** Unique per process: the pod name and a random suffix. */
  identity: string;
  logger: Logger;
  /** Default 15 s. */
  leaseDurationMs?: number;
  now?: () => number;
  /** Told on every change of leadership (metrics, logs). */
  onChange?: (leader: boolean) => void;
}

interface LeaseObject {
  metadata?: { resourceVersion?: string; name?: string; namespace?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

const DEFAULT_LEASE_DURATION_MS = 15_000;

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaseElector {
  private readonly durationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private readonly path: string;
  /** When this process last renewed or took the Lease successfully (0: never, or given up). */
  private renewedAt = 0;
  private observed: { key: string; at: number } | undefined;
  private leader = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: LeaseOptions) {
    this.durationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    // client-go's proportions: renew deadline 2/3 of the lease, a try every 2/15 of it.
    this.renewDeadlineMs = Math.floor((this.durationMs * 2) / 3);
    this.retryMs = Math.max(200, Math.floor((this.durationMs * 2) / 15));
    this.now = options.now ?? Date.now;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases/${options.name}`;
  }

  get identity(): string {
    return this.options.identity;
  }

  /** True while this process holds the Lease and renewed it within the renew deadline. */
  isLeader(): boolean {
    const leader = this.renewedAt > 0 && this.now() - this.renewedAt < this.renewDeadlineMs;
    this.report(leader);
    return leader;
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.tick().catch((error: unknown) => {
        this.options.logger.warn({ error: (error as Error).message }, 'lease: try failed');
      });
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.retryMs);
    };
    void loop();
  }

  /** Stops trying and, if held, releases the Lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (this.renewedAt === 0) return;
    this.renewedAt = 0;
    this.report(false);
    try {
      const current = await this.options.api.request<LeaseObject>('GET', this.path);
      if (current.status !== 200 || current.body.spec?.holderIdentity !== this.identity) return;
      await this.options.api.request('PUT', this.path, {
        ...current.body,
        spec: { ...current.body.spec, holderIdentity: null, leaseDurationSeconds: 1 },
      });
    } catch {
      // Not released: the successor waits one lease duration instead.
    }
  }

  /** One attempt to take or renew the Lease (exposed for tests). */
  async tick(): Promise<void> {
    const { api } = this.options;
    const now = this.now();
    const current = await api.request<LeaseObject>('GET', this.path);
    if (current.status === 404) {
      const created = await api.request('POST', this.collectionPath(), {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        ...this.record(now, 0, now),
      });
      if (created.status === 201) this.took(now, 'created');
      return;
    }
    if (current.status !== 200) {
      this.options.logger.warn({ lease: this.where() }, `lease: ${statusMessage(current)}`);
      return;
    }
    const spec = current.body.spec ?? {};
    const key = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseTransitions]);
    if (this.observed?.key !== key) this.observed = { key, at: now };
    const holder = spec.holderIdentity ?? '';
    const transitions = spec.leaseTransitions ?? 0;
    const mine = holder === this.identity;
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000 || this.durationMs;
    const expired = holder === '' || now - this.observed.at >= durationMs;
    if (!mine && !expired) {
      this.renewedAt = 0;
      this.report(false);
      return;
    }
    const acquired = mine && spec.acquireTime ? Date.parse(spec.acquireTime) : now;
    const body = {
      ...current.body,
      spec: this.record(acquired, mine ? transitions : transitions + 1, now).spec,
    };
    const written = await api.request<LeaseObject>('PUT', this.path, body);
    if (written.status === 200) {
      this.observed = undefined;
      this.took(now, mine ? 'renewed' : 'taken over');
    }
    // 409: someone else wrote it first; the next try reads it again.
  }

  private took(at: number, how: string): void {
    const was = this.renewedAt > 0;
    this.renewedAt = at;
    if (!was)
      this.options.logger.info({ lease: this.where(), identity: this.identity }, `lease ${how}`);
    this.report(true);
  }

  private report(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    if (!leader) this.options.logger.info({ lease: this.where() }, 'lease: not the leader');
    this.options.onChange?.(leader);
  }

  private record(acquiredAt: number, transitions: number, now: number): Required<LeaseObject> {
    return {
      metadata: { name: this.options.name, namespace: this.options.namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.max(1, Math.round(this.durationMs / 1000)),
        acquireTime: microTime(acquiredAt),
        renewTime: microTime(now),
        leaseTransitions: transitions,
      },
    };
  }

  private collectionPath(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases`;
  }

  private where(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }
}
