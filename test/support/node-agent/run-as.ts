/**
 * Who a container's processes are, as the kubelet and the container runtime decide it:
 * `securityContext.runAsUser` (container, else pod), else the image's USER; `runAsGroup` likewise,
 * else the user's primary group (the images' `appuser` is 1000:1000, root 0:0); the pod's
 * `fsGroup` and `supplementalGroups` as supplementary groups. The images' users come from their
 * Dockerfiles (the agent's own table, deliberately not kafka-warden's src/core/secret-modes.ts,
 * which is what the agent checks). An image not in the table fails the pod: guessing root would
 * hide exactly the defect this is for.
 */
import { imageRepository, imageTag } from '../../../src/core/detect';
import type { Container, PodSpec } from '../../../src/core/k8s-types';
import { isRecord } from '../../../src/core/k8s-types';

export interface Identity {
  uid: number;
  gid: number;
  groups: number[];
}

export class UnknownImageUser extends Error {
  override name = 'UnknownImageUser';
}

/**
 * confluentinc/kafka-images and common-docker: `USER appuser` (uid 1000) from 6.0; 5.x ran as
 * root. solsson/kafka-prometheus-jmx-exporter (the chart's exporter sidecar) has no USER line.
 */
export function imageUser(image: string | undefined): { uid: number; gid: number } {
  const repository = imageRepository(image ?? '');
  if (/(^|\/)confluentinc\/cp-[a-z-]+$/.test(repository)) {
    const major = Number(/^(\d+)\./.exec(imageTag(image) ?? '')?.[1]);
    if (Number.isInteger(major)) return major >= 6 ? { uid: 1000, gid: 1000 } : { uid: 0, gid: 0 };
  }
  if (/(^|\/)solsson\/kafka-prometheus-jmx-exporter$/.test(repository)) return { uid: 0, gid: 0 };
  throw new UnknownImageUser(
    `image ${image}: its USER is not in the node agent's table (test/support/node-agent/run-as.ts)`,
  );
}

export function identityOf(spec: PodSpec, container: Container): Identity {
  const pod = isRecord(spec.securityContext) ? spec.securityContext : {};
  const own = isRecord(container.securityContext) ? container.securityContext : {};
  const number = (value: unknown): number | undefined =>
    typeof value === 'number' ? value : undefined;
  const image = (): { uid: number; gid: number } => imageUser(container.image);
  const uid = number(own.runAsUser) ?? number(pod.runAsUser) ?? image().uid;
  const gid =
    number(own.runAsGroup) ??
    number(pod.runAsGroup) ??
    // A runAsUser without runAsGroup: the runtime takes the user's group from the image's
    // /etc/passwd; for the images here that is the uid itself (root 0, appuser 1000).
    uid;
  const groups = [
    ...(number(pod.fsGroup) !== undefined ? [number(pod.fsGroup) as number] : []),
    ...(Array.isArray(pod.supplementalGroups)
      ? pod.supplementalGroups.filter((g): g is number => typeof g === 'number')
      : []),
  ];
  return { uid, gid, groups };
}

/** The command line that runs `command args` as `identity` (util-linux setpriv, no shell). */
export function asIdentity(
  identity: Identity,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  if (identity.uid === 0 && identity.gid === 0 && identity.groups.length === 0) {
    return { command, args };
  }
  return {
    command: 'setpriv',
    args: [
      `--reuid=${identity.uid}`,
      `--regid=${identity.gid}`,
      ...(identity.groups.length > 0
        ? [`--groups=${identity.groups.join(',')}`]
        : ['--clear-groups']),
      '--',
      command,
      ...args,
    ],
  };
}
