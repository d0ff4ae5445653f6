/**
 * Which documents of a render go through the transformation. The plain answer is every one:
 * transformManifests skips what it does not transform. This module is a fast path in front of
 * that: it spares the post-renderer a JSON copy (to tell afterwards whether the transformation
 * changed a document) and a walk through the transformation for each of the many documents that
 * cannot matter (ConfigMaps, the chart's other Services, RBAC...). Its contract is to let through
 * every document whose output the transformation could change, and its text patterns are derived
 * from the same configuration lists detection uses (src/core/detect.ts: labels, container names,
 * images), so a document detection finds is one this lets through.
 * test/unit/postrender/prefilter.test.ts holds renders with and without it equal over every real
 * render and generated variants, and holds it to detection document by document.
 */
import type { WardenConfig } from '../core/config';
import { STATUS_ANNOTATION } from '../core/injection-status';
import { WORKLOAD_KINDS, type KubeObject } from '../core/k8s-types';
import { REST_PROXY_ZOOKEEPER_ENV } from '../core/notices';
import { KAFKA_CLIENT_COMPONENTS } from '../core/tls-wiring';
import { isHelmHook } from '../core/transform-manifests';

/** Whether a parsed document (with its text) goes through the transformation. */
export type DocumentFilter = (object: KubeObject, text: string) => boolean;

/** The plain path: every document goes through the transformation. */
export const everyDocument: DocumentFilter = () => true;

/**
 * The fast path: a document goes through only when its kind can be transformed and its text shows
 * a line detection looks for (a label, a container name, an image, kafka-warden's own record, or a
 * bootstrap variable when PLAINTEXT is dropped). It may let through documents that turn out not to
 * matter, never the other way round for YAML written in block style, which is what Helm emits.
 */
export function documentFilter(config: WardenConfig): DocumentFilter {
  const patterns = relevantPatterns(config);
  return (object, text) => {
    if (isHelmHook(object)) return false;
    if (object.kind === 'PodDisruptionBudget') return true;
    const kind = object.kind ?? '';
    if (kind !== 'Service' && kind !== 'Pod' && !WORKLOAD_KINDS.has(kind)) return false;
    return patterns.some((pattern) => pattern.test(text));
  };
}

function relevantPatterns(config: WardenConfig): RegExp[] {
  const quoted = (value: string) => `["']?${escapeRegExp(value)}["']?`;
  // Whatever kafka-warden injected before must be revisited, to update or undo it.
  const patterns: RegExp[] = [new RegExp(escapeRegExp(STATUS_ANNOTATION))];
  for (const matcher of [config.detection.kafka, config.detection.zookeeper]) {
    for (const [key, value] of Object.entries(matcher.labels)) {
      patterns.push(new RegExp(`${quoted(key)}\\s*:\\s*${quoted(value)}\\s*(?:#.*)?$`, 'm'));
    }
    for (const name of matcher.containerNames) {
      patterns.push(new RegExp(`name\\s*:\\s*${quoted(name)}\\s*(?:#.*)?$`, 'm'));
    }
    for (const image of matcher.images) {
      patterns.push(new RegExp(`${escapeRegExp(image)}(?:[:@"'\\s]|$)`, 'm'));
    }
  }
  if (config.tls.enabled && !config.tls.keepPlaintext) {
    for (const component of KAFKA_CLIENT_COMPONENTS)
      patterns.push(new RegExp(escapeRegExp(component.bootstrapEnv)));
    // Read only to say that it cannot be switched (a notice), never changed.
    patterns.push(new RegExp(escapeRegExp(REST_PROXY_ZOOKEEPER_ENV)));
  }
  return patterns;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
