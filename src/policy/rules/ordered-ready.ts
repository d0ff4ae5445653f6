/**
 * podManagementPolicy must be OrderedReady (the default). Parallel lets the StatefulSet controller
 * create and delete pods all at once. The field is immutable, which is why CREATE matters as much
 * as UPDATE: people change it by deleting the StatefulSet with --cascade=orphan and recreating it.
 */
import { fail, pass, podNoun, subject, warn, type Rule } from '../rule';

const DEFAULT_POLICY = 'OrderedReady';

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
    if (policy === DEFAULT_POLICY) return [pass(`podManagementPolicy is ${DEFAULT_POLICY}`)];
    const pods = podNoun(role);
    const why =
      `With ${policy} the StatefulSet controller creates and deletes ${pods} all at once instead of ` +
      `one at a time, each after the previous one is Ready: a scale-down removes every surplus ` +
      `${podNoun(role, false)} together (with the data it holds), and after an outage all of them ` +
      `start together without waiting for recovery.`;
    const chartValue =
      role === 'kafka' ? 'cp-kafka.podManagementPolicy' : 'cp-zookeeper.podManagementPolicy';
    const previousPolicy = previous
      ? (previous.spec.podManagementPolicy ?? DEFAULT_POLICY)
      : undefined;
    if (previousPolicy === policy) {
      // Already so on the running StatefulSet, and immutable: denying every later update would
      // block urgent fixes without making anything safer. Keep saying how to fix it.
      return [
        warn(
          `podManagementPolicy is ${policy} (was already); recreate with OrderedReady`,
          `${subject(current)} runs with podManagementPolicy: ${policy}. ${why} The field is ` +
            `immutable. To fix it without downtime: kubectl delete statefulset ${current.name} ` +
            `--cascade=orphan (the pods keep running), then apply it again with podManagementPolicy: ` +
            `OrderedReady (chart value ${chartValue}); the new StatefulSet adopts the running pods.`,
        ),
      ];
    }
    return [
      fail(
        `podManagementPolicy ${policy}: ${pods} would be created and removed all at once`,
        `${subject(current)} sets podManagementPolicy: ${policy}. ${why} The field cannot be ` +
          `changed later without deleting the StatefulSet. To proceed: set podManagementPolicy: ` +
          `OrderedReady or leave it out (OrderedReady is the default; chart value ${chartValue}).`,
      ),
    ];
  },
};
