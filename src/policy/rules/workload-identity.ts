/**
 * A Kafka (or ZooKeeper) StatefulSet stays recognisable as what it is. kafka-warden finds its
 * workloads by their pod template, so an UPDATE that renames the broker container or moves it to
 * an image detection does not list would be the last change kafka-warden judges: from the next one
 * on, the stored object is "something else", and scale-downs, upgrades and deletion go unjudged (and
 * the mutating webhook stops wiring TLS into its pods). The change itself is judged as one of the
 * role the StatefulSet had (src/policy/workload.ts); this rule refuses to let it hide the next ones.
 */
import { fail, pass, podNoun, subject, type Rule } from '../rule';

const ROLE_NAMES = { kafka: 'Kafka', zookeeper: 'ZooKeeper' } as const;

export const workloadIdentity: Rule = {
  id: 'workload-identity',
  title: 'a Kafka or ZooKeeper StatefulSet stays recognisable as what it is',
  defaultMode: 'enforce',
  defaultParameters: {},
  roles: ['kafka', 'zookeeper'],
  operations: ['UPDATE'],
  evaluate({ current, previous, role }) {
    if (!current || !previous) return [];
    const was = ROLE_NAMES[role];
    if (current.detectedAs === role) return [pass(`still recognised as ${was}`)];
    const before = `container ${previous.container.name}, image ${previous.container.image ?? '(none)'}`;
    const after = `container ${current.container.name}, image ${current.container.image ?? '(none)'}`;
    if (current.detectedAs) {
      const becomes = ROLE_NAMES[current.detectedAs];
      return [
        fail(
          `${subject(current)} would turn from ${was} into ${becomes}`,
          `${subject(current)} runs ${podNoun(role)} (${before}); after this change its pods would ` +
            `be ${podNoun(current.detectedAs)} (${after}). The roll would replace the ` +
            `${podNoun(role)} one by one, which takes them all down as a deletion would, and ` +
            `kafka-warden would judge every later change as a ${becomes} one. This change ` +
            `is judged as a ${was} change. To proceed: keep the ${was} StatefulSet as it is; to ` +
            `put ${becomes} there instead, delete it (kafka-warden.io/deletion-reason) and create ` +
            `the new StatefulSet with its own volumes.`,
        ),
      ];
    }
    return [
      fail(
        `${subject(current)} would no longer be recognised as ${was}; later changes would go unjudged`,
        `${subject(current)} runs ${podNoun(role)} (${before}), but after this change no ` +
          `container of its pod template is one kafka-warden recognises (now ${after}). ` +
          `kafka-warden finds ${was} by the container names and images of the injection ` +
          `configuration's detection (an image needs the chart's pod labels too), never by name; ` +
          `from the next change on it would not judge this StatefulSet at all: scale-downs, ` +
          `upgrades and its deletion would go unchecked, and the mutating webhook would stop ` +
          `configuring its pods. This change is judged as a ${was} change. To proceed: keep the ` +
          `container name ${previous.container.name} (or an image detection lists); if the new ` +
          `name or image is meant to stay, add it to detection in the injection configuration ` +
          `first, then apply the change.`,
      ),
    ];
  },
};
