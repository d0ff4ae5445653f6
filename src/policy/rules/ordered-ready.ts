/**
 * podManagementPolicy must be OrderedReady (the default). Parallel lets the StatefulSet controller
 * create and delete pods all at once. The field is immutable in the API server, which is why CREATE
 * matters as much as UPDATE: people change it by deleting the StatefulSet with --cascade=orphan and
 * recreating it. A remedy never asks for an update the API server refuses: on a StatefulSet that
 * runs Parallel, the way to OrderedReady is that recreation, spelled out so that each step passes
 * kafka-warden too (the deletion needs a reason: delete-protection; the new StatefulSet must have
 * as many brokers as the claims left: broker-scaling on CREATE).
 */
import { DELETION_REASON_ANNOTATION } from './delete-protection';
import { fail, pass, podNoun, subject, warn, type Rule } from '../rule';
import type { WorkloadView } from '../workload';

const DEFAULT_POLICY = 'OrderedReady';

/** What kube-apiserver answers to an update that changes podManagementPolicy (ValidateStatefulSetUpdate). */
export const IMMUTABLE_FIELDS_ERROR =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', " +
  "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

export const orderedReady: Rule = {
  id: 'ordered-ready',
  title: 'podManagementPolicy must be OrderedReady',
  defaultMode: 'enforce',
  defaultParameters: {},
  roles: ['kafka', 'zookeeper'],
  operations: ['CREATE', 'UPDATE'],
  evaluate({ current, previous, role }) {
    if (!current) return [];
    const policy = current.spec.podManagementPolicy ?? DEFAULT_POLICY;
    const previousPolicy = previous
      ? (previous.spec.podManagementPolicy ?? DEFAULT_POLICY)
      : undefined;
    const pods = podNoun(role);
    const chartValue =
      role === 'kafka' ? 'cp-kafka.podManagementPolicy' : 'cp-zookeeper.podManagementPolicy';
    const immutable =
      `The field is immutable: the API server refuses any update that changes it ` +
      `("${IMMUTABLE_FIELDS_ERROR}").`;
    if (previous && previousPolicy !== DEFAULT_POLICY && policy === DEFAULT_POLICY) {
      // The right value, asked for the one way the API server refuses: say so, and give the way
      // that works, rather than let `check --old` pass a helm upgrade that will fail.
      return [
        fail(
          `podManagementPolicy ${previousPolicy} → ${policy}: refused by the API server (immutable); recreate instead`,
          `${subject(current)} changes podManagementPolicy from ${previousPolicy} to ${policy}. ` +
            `${immutable} To proceed: ${recreation(previous, chartValue)}`,
        ),
      ];
    }
    if (policy === DEFAULT_POLICY) return [pass(`podManagementPolicy is ${DEFAULT_POLICY}`)];
    const why =
      `With ${policy} the StatefulSet controller creates and deletes ${pods} all at once instead of ` +
      `one at a time, each after the previous one is Ready: a scale-down removes every surplus ` +
      `${podNoun(role, false)} together (with the data it holds), and after an outage all of them ` +
      `start together without waiting for recovery.`;
    if (previousPolicy === policy && previous) {
      // Already so on the running StatefulSet, and immutable: denying every later update would
      // block urgent fixes without making anything safer. Keep saying how to fix it.
      return [
        warn(
          `podManagementPolicy is ${policy} (was already); recreate with OrderedReady`,
          `${subject(current)} runs with podManagementPolicy: ${policy}. ${why} ${immutable} ` +
            `To fix it without downtime: ${recreation(previous, chartValue)}`,
        ),
      ];
    }
    const later = previous
      ? `${immutable} To proceed: keep podManagementPolicy: ${previousPolicy} (chart value ${chartValue}).`
      : `The field cannot be changed later without deleting the StatefulSet. To proceed: set ` +
        `podManagementPolicy: OrderedReady or leave it out (OrderedReady is the default; chart ` +
        `value ${chartValue}).`;
    return [
      fail(
        `podManagementPolicy ${policy}: ${pods} would be created and removed all at once`,
        `${subject(current)} sets podManagementPolicy: ${policy}. ${why} ${later}`,
      ),
    ];
  },
};

/**
 * The orphan-and-recreate steps for the StatefulSet as it runs. Each step passes kafka-warden:
 * the reason is annotated before the deletion (delete-protection reads it from the object being
 * deleted), and the new StatefulSet keeps the replica count, so broker-scaling's CREATE check by
 * the claims the pods left finds nothing missing. Nothing else may change in the same step: a
 * CREATE is not judged by rolling-restart, and a changed template would roll the adopted pods.
 */
function recreation(running: WorkloadView, chartValue: string): string {
  const name = running.name;
  const fewer =
    running.role === 'kafka'
      ? `Fewer replicas would be a scale-down (broker-scaling judges the CREATE by the claims the ` +
        `brokers left).`
      : `Fewer replicas would change the ensemble size unannounced (zookeeper-ensemble).`;
  const rollCheck = running.role === 'kafka' ? ', where rolling-restart judges the roll' : '';
  return (
    `(1) kubectl annotate statefulset ${name} ${DELETION_REASON_ANNOTATION}="recreate with ` +
    `podManagementPolicy OrderedReady" (delete-protection reads the reason from the object being ` +
    `deleted); (2) kubectl delete statefulset ${name} --cascade=orphan: the ` +
    `${podNoun(running.role)} keep running and their volume claims stay; (3) create it again ` +
    `with podManagementPolicy: OrderedReady, the same replica count (${running.replicas}) and ` +
    `nothing else changed: helm upgrade with chart value ${chartValue}: OrderedReady (Helm ` +
    `creates an object missing from the cluster) or kubectl apply. The new StatefulSet adopts the ` +
    `running pods. ${fewer} Other changes belong in a later update${rollCheck}.`
  );
}
