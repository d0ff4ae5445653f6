/**
 * The file mode of a Secret volume kafka-warden mounts: readable by the user the containers that
 * mount it really run as, and by no one else where Kubernetes lets us say so.
 *
 * The kubelet writes Secret files owned by root, with the volume's `defaultMode`; with a pod
 * `fsGroup` it gives the files that group and group read, and adds the group to every container's
 * processes (../shared/DOMAIN.md §9). A container runs as its `runAsUser`, else the pod's, else its
 * image's USER. The Confluent images up to 5.x run as root; from 6.0 on as `appuser` (uid 1000),
 * which cp-helm-charts overrides with `runAsUser: 0` for the broker and ZooKeeper only, so Schema
 * Registry, Connect, REST Proxy, ksqlDB and Control Center 6.x cannot read a root-owned 0400 file.
 *
 * - Every mounting container runs as root: 0400, owner read only.
 * - Otherwise, with a pod fsGroup: 0440, the owner and that group (which the containers are in).
 * - Otherwise: 0444. A Secret volume is visible only inside the containers that mount it, each
 *   running one image as one user, so "others" are that image's own processes; kafka-warden does
 *   not set an fsGroup itself, because it would also re-own the pod's data volumes.
 */
import { imageRepository, imageTag } from './detect';
import type { Container, PodSpec } from './k8s-types';
import { isRecord } from './k8s-types';

export const ROOT_READ_MODE = 0o400;
export const GROUP_READ_MODE = 0o440;
export const ALL_READ_MODE = 0o444;

/** The Confluent Platform images that switched from root to `appuser` (uid 1000) in 6.0. */
const CONFLUENT_IMAGE = /^(?:.*\/)?confluentinc\/cp-[a-z-]+$/;
const CONFLUENT_APPUSER_UID = 1000;
const CONFLUENT_FIRST_NON_ROOT_MAJOR = 6;

/**
 * The uid an image runs as when nothing in the pod says otherwise; undefined when kafka-warden
 * does not know the image (its user is then taken to be anyone but root).
 */
export function imageDefaultUser(image: string | undefined): number | undefined {
  if (!image || !CONFLUENT_IMAGE.test(imageRepository(image))) return undefined;
  const major = Number(/^(\d+)\./.exec(imageTag(image) ?? '')?.[1]);
  if (!Number.isInteger(major)) return undefined;
  return major >= CONFLUENT_FIRST_NON_ROOT_MAJOR ? CONFLUENT_APPUSER_UID : 0;
}

/** The uid the container's processes run as, or undefined when that depends on an unknown image. */
export function effectiveUser(spec: PodSpec, container: Container): number | undefined {
  return (
    runAsUserOf(container.securityContext) ??
    runAsUserOf(spec.securityContext) ??
    imageDefaultUser(container.image)
  );
}

/** The defaultMode for a Secret volume that `containers` of the pod `spec` mount. */
export function secretModeFor(spec: PodSpec, containers: readonly Container[]): number {
  if (containers.every((container) => effectiveUser(spec, container) === 0)) return ROOT_READ_MODE;
  const fsGroup = isRecord(spec.securityContext) ? spec.securityContext.fsGroup : undefined;
  return typeof fsGroup === 'number' ? GROUP_READ_MODE : ALL_READ_MODE;
}

function runAsUserOf(securityContext: unknown): number | undefined {
  if (!isRecord(securityContext)) return undefined;
  const user = securityContext.runAsUser;
  return typeof user === 'number' ? user : undefined;
}
