/**
 * ZooKeeper ensemble size changes need an explicit acknowledgement. cp-zookeeper configures the
 * ensemble statically (ZOOKEEPER_SERVERS, the 3.4/3.5 style without dynamic reconfiguration), so a
 * size change rewrites the server list of every member; during the roll, members with the old and
 * the new list can each count a different majority: quorum loss or split brain (cp-helm-charts
 * #242, #498). An even size adds a server without adding fault tolerance. The acknowledgement is
 * read from the StatefulSet or its pod template (`cp-zookeeper.podAnnotations`): the size change
 * restarts every server anyway, so the chart way costs no extra roll.
 */
import { fail, pass, subject, warn, type Rule, type RuleResult } from '../rule';
import { intent } from '../workload';
import { howToAnnotate } from './remedy-text';

export const ENSEMBLE_ACK_ANNOTATION = 'kafka-warden.io/ensemble-change-acknowledged';

export interface ZookeeperEnsembleParameters {
  /** Warn about an even ensemble size. */
  warnOnEvenSize: boolean;
}

export const zookeeperEnsemble: Rule<ZookeeperEnsembleParameters> = {
  id: 'zookeeper-ensemble',
  title: 'a ZooKeeper ensemble size change needs an acknowledgement; even sizes are warned about',
  defaultMode: 'enforce',
  defaultParameters: { warnOnEvenSize: true },
  roles: ['zookeeper'],
  operations: ['CREATE', 'UPDATE'],
  evaluate({ current, previous, parameters }) {
    if (!current) return [];
    const results: RuleResult[] = [];
    const size = current.replicas;
    if (previous && previous.replicas !== size) {
      const change = `ensemble ${previous.replicas} → ${size}`;
      const ack = intent(current, ENSEMBLE_ACK_ANNOTATION);
      if (ack) {
        results.push(pass(`${change} acknowledged: ${ack}`));
      } else {
        const empty =
          ack === ''
            ? ` Annotation ${ENSEMBLE_ACK_ANNOTATION} is present but empty: it needs the reason as its value.`
            : '';
        results.push(
          fail(
            `ZooKeeper ${change} risks quorum loss; needs ${ENSEMBLE_ACK_ANNOTATION}`,
            `${subject(current)} changes the ZooKeeper ensemble from ${previous.replicas} to ` +
              `${size} servers. The ensemble is static (ZOOKEEPER_SERVERS), so every server ` +
              `restarts with a new server list; while the roll is under way, servers with the old ` +
              `and the new list count different majorities, which can lose the quorum (Kafka then ` +
              `loses its controller and metadata) or elect two leaders.${empty} To proceed: plan ` +
              `it as maintenance: back up the data directories, make sure every server is healthy ` +
              `(echo srvr: one leader, the rest followers), stage the roll with ` +
              `updateStrategy.rollingUpdate.partition so that one server restarts at a time, ` +
              `checking after each that the ensemble has exactly one leader, and confirm it: ` +
              `${howToAnnotate(current, ENSEMBLE_ACK_ANNOTATION, '"<reason>"', { rollsAnyway: true })}. ` +
              `A platform that wants no acknowledgement says so in the policy file ` +
              `(rules.zookeeper-ensemble.mode, or namespaceOverrides.<namespace>.zookeeper-ensemble.mode: warn).`,
          ),
        );
      }
    } else {
      results.push(pass(`ensemble size ${size}`));
    }
    if (parameters.warnOnEvenSize && size % 2 === 0 && size > 0) {
      results.push(
        warn(
          `ZooKeeper ensemble of ${size}: an even size adds no fault tolerance`,
          `${subject(current)} runs ${size} ZooKeeper servers. A quorum needs ${size / 2 + 1}, ` +
            `so ${size} servers survive ${size / 2 - 1} failure(s), like ${size - 1} servers do: ` +
            `the extra server adds load and a failure point, not safety. Use ${size - 1} or ` +
            `${size + 1} servers.`,
        ),
      );
    }
    return results;
  },
};
