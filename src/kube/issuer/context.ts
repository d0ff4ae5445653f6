/**
 * What every part of the issuer shares within one process: the API, the clock, the
 * configuration, its counters, and the warnings it gives once rather than every pass.
 */
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { WardenConfig } from '../../core/config';
import type { Clock } from '../../tls';
import type { KubeApi } from '../kube-api';
import type { Problem } from './decide-secret';

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

export interface IssuerMetrics {
  passes: Counter<'result'>;
  secrets: Counter<'kind' | 'result'>;
  rolls: Counter<'result'>;
}

export function issuerMetrics(registry: Registry | undefined): IssuerMetrics {
  const registers = registry ? [registry] : [];
  return {
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
}

/** Warnings that would repeat every pass (the same Secret, the same problem), given once. */
export class OnceReporter {
  private readonly reported = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** True the first time `key` is seen, then false until it is forgotten. */
  first(key: string): boolean {
    if (this.reported.has(key)) return false;
    this.reported.add(key);
    return true;
  }

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.first(key)) this.logger.warn(fields, message);
  }

  /** A decision's problem, once per Secret (`secretKey`: `<namespace>/<name>`). */
  problem(secretKey: string, where: Record<string, unknown>, problem: Problem | undefined): void {
    if (problem)
      this.warn(`${secretKey}/${problem.id}`, { ...where, ...problem.fields }, problem.message);
  }

  /** The problem went away: say it again if it comes back. */
  forget(key: string): void {
    this.reported.delete(key);
  }
}

export interface IssuerContext {
  readonly api: KubeApi;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The injection configuration: detection, Secret name templates, external host template. */
  readonly config: WardenConfig;
  /** Undefined: needsRenewal's default (30 days). */
  readonly renewBeforeDays: number | undefined;
  readonly metrics: IssuerMetrics;
  readonly reports: OnceReporter;
}
