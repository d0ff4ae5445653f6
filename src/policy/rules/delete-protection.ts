/**
 * Deleting a Kafka StatefulSet stops every broker at once (unless --cascade=orphan) and, with a
 * later reinstall, invites reusing or losing its volumes; it needs a stated reason on the object
 * being deleted. ZooKeeper is protected too by default: without it no broker can work.
 */
import { fail, pass, podNoun, subject, type Rule } from '../rule';
import { annotation } from '../workload';

export const DELETION_REASON_ANNOTATION = 'kafka-warden.io/deletion-reason';

export interface DeleteProtectionParameters {
  /** Protect ZooKeeper StatefulSets too. */
  protectZooKeeper: boolean;
}

export const deleteProtection: Rule<DeleteProtectionParameters> = {
  id: 'delete-protection',
  title: 'deleting a Kafka (or ZooKeeper) StatefulSet needs a stated reason',
  defaultMode: 'enforce',
  defaultParameters: { protectZooKeeper: true },
  roles: ['kafka', 'zookeeper'],
  operations: ['DELETE'],
  evaluate({ previous, role, parameters }) {
    if (!previous || (role === 'zookeeper' && !parameters.protectZooKeeper)) return [];
    const reason = annotation(previous, DELETION_REASON_ANNOTATION);
    if (reason) return [pass(`deletion reason: ${reason}`)];
    const empty =
      reason === ''
        ? ` Annotation ${DELETION_REASON_ANNOTATION} is present but empty: it needs the reason as its value.`
        : '';
    const effect =
      role === 'kafka'
        ? 'stops every broker at once: producers and consumers lose the cluster'
        : 'stops every ZooKeeper server at once: the brokers lose their metadata store and controller';
    return [
      fail(
        `deleting ${subject(previous)} ${role === 'kafka' ? 'stops every broker' : 'stops ZooKeeper'}; needs ${DELETION_REASON_ANNOTATION}`,
        `Deleting ${subject(previous)} ${effect}. Its PersistentVolumeClaims stay behind and a ` +
          `later install reuses them by name, whatever they hold.${empty} To proceed: if you only ` +
          `need to recreate the StatefulSet (for an immutable field), delete it with ` +
          `--cascade=orphan so the ${podNoun(role)} keep running, and create it again with as ` +
          `many replicas (the new one adopts the running pods and deletes any beyond its count); ` +
          `either way, first annotate it: ` +
          `kubectl annotate statefulset ${previous.name} ${DELETION_REASON_ANNOTATION}="<reason>".`,
      ),
    ];
  },
};
