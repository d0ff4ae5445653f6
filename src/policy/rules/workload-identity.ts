/**
 * A Kafka (or ZooKeeper) StatefulSet stays recognisable as what it is. kafka-warden finds its
 * workloads by their pod template, so an UPDATE that renames the broker container or moves it to
 * an image detection does not list would be the last change kafka-warden judges: from the next one
 * on, the stored object is "something else", and scale-downs, upgrades and deletion go unjudged (and
 * the mutating webhook stops wiring TLS into its pods). The change itself is judged as one of the
 * role the StatefulSet had (src/policy/workload.ts); this rule refuses to let it hide the next ones,
 * and refuses a second container running the main one's image (a decoy detection would judge).
 */
import { imageRepository } from '../../core/detect';
import { EXPORTER_CONTAINER } from '../../core/inject-pod';
import type { Container } from '../../core/k8s-types';
import { fail, pass, podNoun, subject, type Rule } from '../rule';
import type { WorkloadView } from '../workload';

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
    const twin = secondMainImage(current, previous);
    if (twin) {
      return [
        fail(
          `${subject(current)}: container ${twin.name} could be the ${podNoun(role, false)} beside ${current.container.name}`,
          `${subject(current)}'s pod template would hold ${current.container.name} ` +
            `(${current.container.image ?? '(none)'}) and ${twin.name} (${twin.image ?? '(none)'}), ` +
            `which runs the ${podNoun(role, false)} image, an image named like it, or is added by this ` +
            `change beside the ${podNoun(role, false)} container. kafka-warden judges one ` +
            `${podNoun(role, false)} container per pod, found by name first, so a copy under the old ` +
            `name would be judged while the renamed one changes unseen. To proceed: keep one ` +
            `${podNoun(role, false)} container, named as before (${previous.container.name}), and add ` +
            `sidecars in a change of their own with the platform's exemption (docs/policy.md).`,
        ),
      ];
    }
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

/**
 * Another container of the new pod template that could be the real broker while detection judges
 * a copy (the broker renamed and a copy of the old one under its name): one that runs the main
 * container's image before or after the change (same repository, any tag), or an image named like
 * the role's (`…/kafka`, `cp-enterprise-kafka`, `…/zookeeper`), or one this change adds under a new
 * name. kafka-warden's own exporter sidecar is not a candidate.
 */
function secondMainImage(current: WorkloadView, previous: WorkloadView): Container | undefined {
  const repositories = new Set(
    [previous.container.image, current.container.image]
      .filter((image): image is string => typeof image === 'string' && image !== '')
      .map(imageRepository),
  );
  const before = new Set(containersOf(previous).map((container) => container.name));
  const roleImage = ROLE_IMAGE[current.role];
  return containersOf(current).find((container) => {
    if (container === current.container || container.name === EXPORTER_CONTAINER) return false;
    const repository = typeof container.image === 'string' ? imageRepository(container.image) : '';
    const lastSegment = repository.slice(repository.lastIndexOf('/') + 1);
    return (
      repositories.has(repository) ||
      roleImage.test(lastSegment) ||
      (!before.has(container.name) && before.has(current.container.name))
    );
  });
}

/** Image names (the last path segment) of the role's own server. */
const ROLE_IMAGE = {
  kafka: /^(cp-(enterprise-)?)?kafka(-native)?$/,
  zookeeper: /^(cp-)?zookeeper$/,
} as const;

function containersOf(view: WorkloadView): Container[] {
  const containers: unknown = view.spec.template?.spec?.containers;
  return Array.isArray(containers) ? (containers as Container[]) : [];
}
