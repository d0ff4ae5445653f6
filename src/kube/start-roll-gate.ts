/**
 * `kafka-warden serve --roll-gate`: the roll gate's controller with a real API connection and a
 * Lease, so that of several replicas one writes. Its flags are parsed here; serve.ts forwards them.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { WardenError } from '../core/errors';
import { connectKube } from './kube-client';
import { LeaseElector } from './lease';
import { RollGateController, type BrokerSyncSource } from './roll-gate';

export interface RollGateFlags {
  /** `NS/NAME` of the Lease; default `$POD_NAMESPACE/kafka-warden-roll-gate`. */
  lease: string | undefined;
  /** Comma-separated; default all. */
  namespaces: string | undefined;
  /** Seconds between passes besides the watch. */
  interval: string | undefined;
  /** Seconds a Lease lasts without renewal. */
  leaseSeconds: string | undefined;
  kubeconfig: string | undefined;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** As the issuer's default: no Kafka runs there. Kept here, not imported, so this file stands alone. */
const EXCLUDED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

export function parseLease(
  text: string | undefined,
  podNamespace: string | undefined,
): { namespace: string; name: string } {
  const value = text ?? (podNamespace ? `${podNamespace}/kafka-warden-roll-gate` : '');
  const [namespace, name, ...rest] = value.split('/');
  if (!namespace || !name || rest.length > 0 || !NAME.test(namespace) || !NAME.test(name)) {
    throw new WardenError(
      'KW_USAGE',
      `--roll-gate needs --roll-gate-lease NAMESPACE/NAME (or POD_NAMESPACE set, as the chart does), got ${JSON.stringify(value)}`,
    );
  }
  return { namespace, name };
}

function seconds(text: string | undefined, fallback: number, flag: string, max: number): number {
  const value = Number(text ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new WardenError(
      'KW_USAGE',
      `${flag} must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

export interface RunningRollGate {
  stop(): Promise<void>;
}

export function startRollGate(
  flags: RollGateFlags,
  context: { logger: Logger; registry: Registry; kafka: BrokerSyncSource },
): RunningRollGate {
  const lease = parseLease(flags.lease, process.env.POD_NAMESPACE);
  const intervalMs = seconds(flags.interval, 5, '--roll-gate-interval', 3600) * 1000;
  const leaseDurationMs = seconds(flags.leaseSeconds, 15, '--roll-gate-lease-seconds', 300) * 1000;
  const namespaces = flags.namespaces
    ?.split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  let api;
  try {
    api = connectKube(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {});
  } catch (error) {
    throw new WardenError(
      'KW_USAGE',
      `--roll-gate needs access to the Kubernetes API: ${(error as Error).message}`,
    );
  }
  const logger = context.logger.child({ component: 'roll-gate' });
  const identity = `${process.env.POD_NAME ?? hostname()}-${randomBytes(4).toString('hex')}`;
  // The elector is created below; the controller asks it only once started.
  const controller: RollGateController = new RollGateController({
    api,
    kafka: context.kafka,
    logger: context.logger,
    isLeader: () => elector.isLeader(),
    ...(namespaces && namespaces.length > 0 ? { namespaces } : {}),
    excludeNamespaces: EXCLUDED_NAMESPACES,
    intervalMs,
    registry: context.registry,
  });
  const elector = new LeaseElector({
    api,
    ...lease,
    identity,
    logger,
    leaseDurationMs,
    // A new leader judges at once instead of at the next period.
    onChange: (leader) => {
      if (leader) controller.trigger();
    },
  });
  elector.start();
  controller.start();
  logger.info(
    { lease: `${lease.namespace}/${lease.name}`, identity, namespaces: namespaces ?? 'all' },
    'roll gate started',
  );
  return {
    stop: async () => {
      await controller.stop();
      await elector.stop();
    },
  };
}
