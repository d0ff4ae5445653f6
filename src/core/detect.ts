import type { WardenConfig, WorkloadMatcher } from './config';
import type { Container, ObjectMeta, PodSpec } from './k8s-types';

export type WorkloadRole = 'kafka' | 'zookeeper';

export interface DetectedWorkload {
  role: WorkloadRole;
  /** The broker or ZooKeeper server container, the one the Confluent start-up contract applies to. */
  container: Container;
}

/**
 * Decides whether a pod (template) is a Kafka broker or a ZooKeeper server. Resource names are never
 * used: they carry the release name. A container name from the chart is decisive on its own; an
 * image alone is not (cp-kafka's canary test Pod runs the broker image as a client), so an image
 * match also needs the pod labels.
 */
export function detectWorkload(
  podMeta: ObjectMeta | undefined,
  podSpec: PodSpec | undefined,
  config: Pick<WardenConfig, 'detection'>,
): DetectedWorkload | null {
  if (!podSpec || !Array.isArray(podSpec.containers)) return null;
  for (const role of ['kafka', 'zookeeper'] as const) {
    const container = findMainContainer(podMeta, podSpec, config.detection[role]);
    if (container) return { role, container };
  }
  return null;
}

function findMainContainer(
  podMeta: ObjectMeta | undefined,
  podSpec: PodSpec,
  matcher: WorkloadMatcher,
): Container | undefined {
  const byName = podSpec.containers.find((c) => matcher.containerNames.includes(c.name));
  if (byName) return byName;
  if (!labelsMatch(podMeta?.labels, matcher.labels)) return undefined;
  return podSpec.containers.find((c) => matcher.images.some((img) => imageIs(c.image, img)));
}

export function labelsMatch(
  actual: Record<string, string> | undefined,
  wanted: Record<string, string>,
): boolean {
  const entries = Object.entries(wanted);
  if (entries.length === 0) return false;
  return entries.every(([key, value]) => actual?.[key] === value);
}

/** True when `image` is the repository `repository`, at any tag or digest, from any registry mirror. */
export function imageIs(image: string | undefined, repository: string): boolean {
  if (!image) return false;
  const repo = imageRepository(image);
  return repo === repository || repo.endsWith(`/${repository}`);
}

export function imageRepository(image: string): string {
  let ref = image.split('@')[0] ?? image;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  if (colon !== -1) ref = ref.slice(0, colon);
  return ref.replace(/^docker\.io\//, '').replace(/^library\//, '');
}

export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const ref = image.split('@')[0] ?? image;
  const colon = ref.indexOf(':', ref.lastIndexOf('/') + 1);
  return colon === -1 ? undefined : ref.slice(colon + 1);
}
