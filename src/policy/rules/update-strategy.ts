/**
 * Rolling updates must restart one pod at a time: no OnDelete (pods are then replaced by hand,
 * often several at once and without waiting for readiness), and rollingUpdate.maxUnavailable no
 * higher than the policy's limit (1 by default; Kafka's own rule is one broker at a time).
 */
import { fail, pass, podNoun, skip, subject, type Rule } from '../rule';

export interface UpdateStrategyParameters {
  /** The most pods a rolling update may take down at once. */
  maxUnavailable: number;
}

export const updateStrategy: Rule<UpdateStrategyParameters> = {
  id: 'update-strategy',
  title: 'rolling updates restart one pod at a time (no OnDelete, maxUnavailable ≤ 1)',
  defaultMode: 'enforce',
  defaultParameters: { maxUnavailable: 1 },
  roles: ['kafka', 'zookeeper'],
  operations: ['CREATE', 'UPDATE'],
  evaluate({ current, role, parameters }) {
    if (!current) return [];
    const strategy = current.spec.updateStrategy ?? {};
    const type = strategy.type ?? 'RollingUpdate';
    const pods = podNoun(role);
    if (type === 'OnDelete') {
      return [
        fail(
          `updateStrategy OnDelete: ${pods} are replaced by hand, with no readiness gate`,
          `${subject(current)} sets updateStrategy.type: OnDelete. The controller then never ` +
            `replaces pods itself: a change takes effect only as someone deletes pods, and deleting ` +
            `several at once (or the next before the previous is Ready and caught up) takes ` +
            `partitions below min.insync.replicas or offline. To proceed: use type: RollingUpdate ` +
            `(the default; chart value ${role === 'kafka' ? 'cp-kafka' : 'cp-zookeeper'}.updateStrategy) so ${pods} restart one at a time, each after ` +
            `the previous is Ready; to stage a rollout, use rollingUpdate.partition.`,
        ),
      ];
    }
    if (type !== 'RollingUpdate') return [skip(`unknown updateStrategy.type ${type}`)];
    const raw = strategy.rollingUpdate?.maxUnavailable;
    if (raw === undefined || raw === null) return [pass('RollingUpdate, one pod at a time')];
    const limit = parameters.maxUnavailable;
    const shown = JSON.stringify(raw);
    const count = resolveMaxUnavailable(raw, current.replicas);
    if (count === undefined) return [skip(`cannot read rollingUpdate.maxUnavailable ${shown}`)];
    if (count <= limit)
      return [pass(`rollingUpdate.maxUnavailable ${shown} (${count} ≤ ${limit})`)];
    return [
      fail(
        `rollingUpdate.maxUnavailable ${shown} restarts ${count} ${pods} at once (limit ${limit})`,
        `${subject(current)} sets rollingUpdate.maxUnavailable: ${shown}, so a rolling ` +
          `update may take ${count} ${pods} down at the same time. ` +
          (role === 'kafka'
            ? `With replication factor 3 and min.insync.replicas 2, two brokers down make ` +
              `partitions refuse acks=all writes, or go offline when both hosted the same ` +
              `partition. `
            : `Two ZooKeeper servers down in an ensemble of three or four lose the quorum, and ` +
              `Kafka loses its metadata store. `) +
          `To proceed: remove maxUnavailable (the default is 1) or set it to at most ${limit}.`,
      ),
    ];
  },
};

/** An int, or a percentage of replicas rounded up (as the API documents), never below 1. */
export function resolveMaxUnavailable(raw: unknown, replicas: number): number | undefined {
  if (typeof raw === 'number' && Number.isInteger(raw)) return Math.max(raw, 1);
  const percent = typeof raw === 'string' ? /^(\d+)%$/.exec(raw.trim()) : null;
  if (!percent) return undefined;
  return Math.max(Math.ceil((Number(percent[1]) * replicas) / 100), 1);
}
